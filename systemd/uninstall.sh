#!/bin/sh
# Removes what install.sh laid out; keeps /etc/iot-micro-agent and /var/lib/iot-micro-agent unless --purge.
# The iot-micro-agent system user stays (files elsewhere may still carry its uid), as Debian does.
#   --prefix DIR   remove from under DIR instead of /
#   --purge        also delete the configuration, the connection string and the state
set -eu
NAME=iot-micro-agent
prefix=
purge=false
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "uninstall.sh: --prefix needs a directory" >&2; exit 2; }; prefix=${2%/}; shift 2 ;;
    --purge) purge=true; shift ;;
    *) echo "uninstall.sh: unknown option $1 (use --prefix DIR, --purge)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "uninstall.sh: run as root" >&2; exit 2; }
if [ -z "$prefix" ] && [ -d /run/systemd/system ]; then
  systemctl disable --now "$NAME.service" 2>/dev/null || true
fi
rm -f "$prefix/etc/systemd/system/$NAME.service" "$prefix/usr/bin/$NAME"
rm -rf "$prefix/usr/lib/$NAME"
if [ -z "$prefix" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
if $purge; then
  rm -rf "$prefix/etc/$NAME" "$prefix/var/lib/$NAME"
  echo "$NAME removed and purged"
else
  echo "$NAME removed (configuration and state kept in $prefix/etc/$NAME and $prefix/var/lib/$NAME)"
fi
