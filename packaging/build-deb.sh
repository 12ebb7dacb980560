#!/usr/bin/env bash
# Builds iot-micro-agent_<version>_<arch>.deb with dpkg-deb from npm pack's tarball (what npm publishes);
# the files are laid out by systemd/install.sh --package, so the .deb and install.sh install the same tree.
# Usage: packaging/build-deb.sh [OUT_DIR]   (default dist/deb); prints the .deb's path on stdout.
# Needs node, npm (the registry or its cache, for the production dependencies), dpkg-deb; no root.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$repo/dist/deb}" && cd "${1:-$repo/dist/deb}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/iot-micro-agent-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

name=iot-micro-agent
version=$(node -p 'require(process.argv[1]).version' "$repo/package.json")
maintainer=${DEB_MAINTAINER:-"iot-micro-agent maintainers <maintainers@iot-micro-agent.invalid>"}

# npm pack runs `prepare` (tsc), so the tarball holds a fresh build and exactly the package's files.
tarball=$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -n 1)
tar -xzf "$work/$tarball" -C "$work" --no-same-owner
# With the lock file beside package.json, install.sh pins every dependency with npm ci.
cp "$repo/package-lock.json" "$work/package/"
root=$work/root
sh "$work/package/systemd/install.sh" --package --prefix "$root" >&2

lib=$root/usr/lib/$name
doc=$root/usr/share/doc/$name
install -D -m 0644 "$repo/packaging/debian/copyright" "$doc/copyright"
mv "$lib/README.md" "$doc/README.md"
changelog_date=$(cd "$repo" && git log -1 --format=%aD 2>/dev/null || date -R)
# A version without a Debian revision makes this a native package: its changelog is changelog.gz.
printf '%s (%s) unstable; urgency=medium\n\n  * Built from the npm package by packaging/build-deb.sh.\n\n -- %s  %s\n' \
  "$name" "$version" "$maintainer" "$changelog_date" | gzip -9n > "$doc/changelog.gz"
install -d -m 0755 "$root/usr/share/man/man1"
gzip -9n < "$repo/packaging/debian/$name.1" > "$root/usr/share/man/man1/$name.1.gz"
chmod 0644 "$root/usr/share/man/man1/$name.1.gz" "$doc/changelog.gz"

# A native addon (an optional dependency) makes the package architecture-specific.
if find "$lib" -name '*.node' -type f | grep -q .; then arch=$(dpkg --print-architecture); else arch=all; fi

mkdir -p "$root/DEBIAN"
install -m 0755 "$repo/packaging/debian/postinst" "$repo/packaging/debian/prerm" "$repo/packaging/debian/postrm" "$root/DEBIAN/"
printf '/etc/%s/config.json\n' "$name" > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
cat > "$root/DEBIAN/control" <<EOF
Package: $name
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: nodejs (>= 20), adduser
Section: admin
Priority: optional
Homepage: https://www.npmjs.com/package/$name
Description: security micro agent for Linux IoT devices (Azure IoT Hub)
 Watches processes, logins and network connections, aggregates what it sees
 and sends it to Azure IoT Hub as security messages from the module identity
 DefenderIotMicroAgent. Runs as the iot-micro-agent system user with three
 ambient capabilities under a hardened systemd unit.
EOF

deb=$out/${name}_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
