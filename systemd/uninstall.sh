#!/usr/bin/env sh
# Stops and removes the service; keeps /etc/iot-micro-agent and /var/lib/iot-micro-agent.
set -eu
[ "$(id -u)" = 0 ] || { echo "uninstall.sh: run as root" >&2; exit 2; }
systemctl disable --now iot-micro-agent.service 2>/dev/null || true
rm -f /etc/systemd/system/iot-micro-agent.service
systemctl daemon-reload
echo "iot-micro-agent removed (configuration and state kept)"
