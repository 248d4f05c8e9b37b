#!/usr/bin/env bash
# Installs the operations tools the deploy checks and test/ops need:
# prometheus + promtool, prometheus-alertmanager + amtool, wrk, nginx, and chromium
# for the console's browser tests (Debian/Ubuntu packages). Idempotent: does nothing when every binary is already on PATH.
# Works as root (CI containers, no sudo) or as a user with sudo; never prompts.
set -euo pipefail

binaries=(prometheus promtool prometheus-alertmanager amtool wrk nginx chromium)
packages=(prometheus prometheus-alertmanager wrk nginx chromium)

missing=()
for bin in "${binaries[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-tools: ${binaries[*]} already installed"
  exit 0
fi
echo "install-tools: missing ${missing[*]}; installing ${packages[*]}"

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-tools: apt-get not found; install ${packages[*]} with this system's package manager" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "install-tools: run as root or install sudo" >&2
  exit 1
fi

# The Debian packages start their daemons on 9090/9093 (and node-exporter on
# 9100) after installing. Tests run their own instances on ephemeral ports, so
# forbid service starts during the install unless a policy already exists.
policy=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 0755 "$policy"
  own_policy=true
fi
cleanup() {
  if [ "$own_policy" = true ]; then "${as_root[@]}" rm -f "$policy"; fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${packages[@]}"

for bin in "${binaries[@]}"; do
  if ! command -v "$bin" >/dev/null 2>&1; then
    echo "install-tools: $bin still missing after the install" >&2
    exit 1
  fi
done
echo "install-tools: $(prometheus --version 2>&1 | head -n1)"
echo "install-tools: $(prometheus-alertmanager --version 2>&1 | head -n1)"
