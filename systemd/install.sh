#!/usr/bin/env sh
# Installs iot-micro-agent as a systemd service. Run as root from the package directory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 2; }
command -v iot-micro-agent >/dev/null 2>&1 || { echo "install.sh: iot-micro-agent is not on PATH (npm install -g iot-micro-agent)" >&2; exit 2; }
install -d -m 0755 /etc/iot-micro-agent
install -d -m 0700 /var/lib/iot-micro-agent
if [ ! -f /etc/iot-micro-agent/connection_string.txt ]; then
  echo "install.sh: put the module connection string in /etc/iot-micro-agent/connection_string.txt (mode 0600) before starting" >&2
fi
[ -f /etc/iot-micro-agent/config.json ] || printf '{}\n' > /etc/iot-micro-agent/config.json
install -m 0644 "$here/iot-micro-agent.service" /etc/systemd/system/iot-micro-agent.service
systemctl daemon-reload
systemctl enable --now iot-micro-agent.service
echo "iot-micro-agent installed; logs: journalctl -u iot-micro-agent"
