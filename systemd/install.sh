#!/bin/sh
# Installs iot-micro-agent from npm pack's tarball on a device without dpkg; lays out what the .deb does.
#   tar -xzf iot-micro-agent-<version>.tgz && sudo package/systemd/install.sh
# Running it again changes nothing unless the package changed. Needs node >= 20 and npm (production dependencies).
#   --prefix DIR   lay everything out under DIR instead of / (no systemctl)
#   --package      only the files, for building a package (packaging/build-deb.sh): no user, no state dir,
#                  the unit in /lib/systemd/system
set -eu

NAME=iot-micro-agent
prefix=
package_mode=false
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; prefix=${2%/}; shift 2 ;;
    --package) package_mode=true; shift ;;
    *) echo "install.sh: unknown option $1 (use --prefix DIR, --package)" >&2; exit 2 ;;
  esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$src/package.json" ] && [ -f "$src/dist/src/cli.js" ] || { echo "install.sh: run it from the unpacked npm package (package/systemd/install.sh)" >&2; exit 2; }
if ! $package_mode && [ "$(id -u)" != 0 ]; then echo "install.sh: run as root" >&2; exit 2; fi
command -v npm >/dev/null 2>&1 || { echo "install.sh: npm is needed to install the production dependencies" >&2; exit 2; }

lib=$prefix/usr/lib/$NAME
changed=false

# Writes SRC to DEST with MODE only when the content or mode differs, so a second run touches nothing.
put() {
  if ! cmp -s "$1" "$2" 2>/dev/null; then
    install -D -m "$3" "$1" "$2"
    changed=true
  elif [ "$(stat -c %a "$2")" != "${3#0}" ]; then
    chmod "$3" "$2"
  fi
}

# The package tree is staged outside the prefix and swapped in whole, only when it differs.
stage=$(mktemp -d "${TMPDIR:-/tmp}/$NAME-install.XXXXXX")
trap 'rm -rf "$stage"' EXIT
tree=$stage/$NAME
mkdir -p "$tree"
for f in package.json README.md dist config-schema message-schema console collectors; do
  [ -e "$src/$f" ] && cp -R "$src/$f" "$tree/"
done
mkdir -p "$tree/pam"
cp "$src/systemd/pam/pam-login-hook.sh" "$src/systemd/pam/pam-lines.conf" "$tree/pam/"
# Type declarations and source maps serve developers, not the device.
find "$tree" -type f \( -name '*.map' -o -name '*.d.ts' \) -exec rm -f {} +
if [ -d "$lib" ] && diff -r -q --exclude=node_modules "$tree" "$lib" >/dev/null 2>&1 && [ -d "$lib/node_modules" ]; then
  :
else
  if [ -d "$lib/node_modules" ] && cmp -s "$tree/package.json" "$lib/package.json"; then
    cp -R "$lib/node_modules" "$tree/"
  else
    # The lock file, when the caller put one beside package.json (the .deb build does), pins every version.
    if [ -f "$src/package-lock.json" ]; then cp "$src/package-lock.json" "$tree/"; npm_cmd=ci; else npm_cmd=install; fi
    (cd "$tree" && npm "$npm_cmd" --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2)
    rm -rf "$tree/package-lock.json" "$tree/node_modules/.bin" "$tree/node_modules/.package-lock.json"
    find "$tree/node_modules" -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -exec rm -f {} +
    # Dotfiles in dependencies (.eslintrc, .npmignore, .github/, ...) are their authors' tooling, never loaded.
    find "$tree/node_modules" -depth -name '.*' -exec rm -rf {} +
  fi
  find "$tree" -type d -exec chmod 0755 {} +
  find "$tree" -type f -exec chmod 0644 {} +
  chmod 0755 "$tree/dist/src/cli.js" "$tree/pam/pam-login-hook.sh"
  $package_mode || chown -R 0:0 "$tree"
  mkdir -p "$(dirname "$lib")"
  rm -rf "$lib.old"
  [ -d "$lib" ] && mv "$lib" "$lib.old"
  mv "$tree" "$lib"
  rm -rf "$lib.old"
  changed=true
fi

# The launcher is a link, so the Node flags in cli.js's shebang apply however the agent is started.
if [ "$(readlink "$prefix/usr/bin/$NAME" 2>/dev/null)" != "../lib/$NAME/dist/src/cli.js" ]; then
  mkdir -p "$prefix/usr/bin"
  ln -sfn "../lib/$NAME/dist/src/cli.js" "$prefix/usr/bin/$NAME"
  changed=true
fi
if $package_mode; then unit_dir=$prefix/lib/systemd/system; else unit_dir=$prefix/etc/systemd/system; fi
put "$src/systemd/$NAME.service" "$unit_dir/$NAME.service" 0644
[ -d "$prefix/etc/$NAME" ] || install -d -m 0755 "$prefix/etc/$NAME"
# The operator's config is never overwritten.
[ -f "$prefix/etc/$NAME/config.json" ] || put "$src/systemd/config.json" "$prefix/etc/$NAME/config.json" 0644
$package_mode && exit 0

if ! getent passwd "$NAME" >/dev/null 2>&1; then
  useradd --system --user-group --home-dir "/var/lib/$NAME" --no-create-home --shell /usr/sbin/nologin "$NAME"
fi
state=$prefix/var/lib/$NAME
[ -d "$state" ] || install -d -m 0700 "$state"
[ "$(stat -c %U:%G:%a "$state")" = "$NAME:$NAME:700" ] || { chown "$NAME:$NAME" "$state"; chmod 0700 "$state"; }

if [ -z "$prefix" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --quiet "$NAME.service"
  if [ -f "/etc/$NAME/connection_string.txt" ]; then
    if $changed; then systemctl restart "$NAME.service"; else systemctl start "$NAME.service"; fi
  fi
fi
[ -f "$prefix/etc/$NAME/connection_string.txt" ] \
  || echo "install.sh: write the connection string with: $NAME provision --from FILE, then: systemctl start $NAME" >&2
echo "$NAME installed in ${prefix:-/}; logs: journalctl -u $NAME -o cat"
