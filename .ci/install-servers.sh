#!/usr/bin/env bash
# Installs the servers that integration tests start themselves on loopback ports: InfluxDB 1.x (Debian
# package `influxdb`, binary /usr/bin/influxd) and PostgreSQL 15 (below). Idempotent: installs only what is
# missing.
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

# PostgreSQL 15 (Debian package `postgresql-15`, binaries in /usr/lib/postgresql/15/bin): the poller's tests run
# initdb and postgres themselves on a loopback port. No default cluster is created (createcluster.d says so
# before the install) and no system service runs.
PG_BIN=/usr/lib/postgresql/15/bin
if ! [ -x "$PG_BIN/initdb" ]; then
  added_policy=''
  if ! [ -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod 755 "$POLICY"
    added_policy=1
  fi
  cleanup() { if [ -n "$added_policy" ]; then $SUDO rm -f "$POLICY"; fi; }
  trap cleanup EXIT
  $SUDO mkdir -p /etc/postgresql-common/createcluster.d
  printf 'create_main_cluster = false\n' | $SUDO tee /etc/postgresql-common/createcluster.d/seismo.conf >/dev/null
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
  cleanup
  trap - EXIT
fi
if ! "$PG_BIN/postgres" --version | grep -q ' 15\.'; then
  echo "install-servers: expected PostgreSQL 15 in $PG_BIN, found: $("$PG_BIN/postgres" --version)" >&2
  exit 1
fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now postgresql.service >/dev/null 2>&1 || true
fi
if [ -x /etc/init.d/postgresql ] && $SUDO /etc/init.d/postgresql status >/dev/null 2>&1; then
  $SUDO /etc/init.d/postgresql stop >/dev/null
fi

echo "install-servers: $(/usr/bin/influxd version); $("$PG_BIN/postgres" --version)"
