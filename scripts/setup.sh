#!/usr/bin/env bash
# Installs what ocidhcp's demo, tests and benchmarks need on a fresh Debian
# machine, and nothing that is already there. Safe to run again.
#
#   scripts/setup.sh            # Deno, iproute2, the lab's servers and tools
#   scripts/setup.sh --minimal  # Deno and iproute2 only (enough for the demo)
#
# Deno comes from the npm registry (package "deno", which ships the real
# binary); everything else from Debian's archive.
set -euo pipefail

DENO_VERSION=2.9.6
minimal=false
[ "${1:-}" = "--minimal" ] && minimal=true

say() { printf 'setup: %s\n' "$*"; }
fail() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || fail "ocidhcp needs Linux (network namespaces, AF_PACKET)"
if [ "$(id -u)" -ne 0 ]; then
  fail "run as root: installing packages and building network namespaces need it"
fi

# Debian package -> a program it provides, to tell whether it is present.
packages=(iproute2:ip)
if ! $minimal; then
  packages+=(
    dnsmasq-base:dnsmasq
    kea-dhcp4-server:kea-dhcp4
    udhcpd:udhcpd
    udhcpc:udhcpc
    isc-dhcp-client:dhclient
    dhcpcd-base:dhcpcd
    tcpdump:tcpdump
  )
fi

missing=()
for entry in "${packages[@]}"; do
  package=${entry%%:*}
  program=${entry#*:}
  if ! command -v "$program" >/dev/null 2>&1 &&
    ! [ -x "/usr/sbin/$program" ] && ! [ -x "/sbin/$program" ]; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed; is the Debian archive reachable?"
  # Servers are run by the lab in namespaces, never as system services.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    fail "apt-get install ${missing[*]} failed"
  # Debian may start packaged daemons on install; the lab runs its own.
  for service in dnsmasq kea-dhcp4-server udhcpd; do
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      systemctl disable --now "$service" >/dev/null 2>&1 || true
    fi
  done
else
  say "Debian packages already present"
fi

have_deno() {
  command -v deno >/dev/null 2>&1 &&
    deno --version 2>/dev/null | head -n 1 | grep -q "^deno ${DENO_VERSION%.*}\."
}

if have_deno; then
  say "deno already present: $(deno --version | head -n 1)"
else
  if ! command -v npm >/dev/null 2>&1; then
    say "installing Debian package npm, to fetch Deno from the npm registry"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || fail "apt-get update failed; is the Debian archive reachable?"
    apt-get install -y -qq --no-install-recommends npm >/dev/null ||
      fail "apt-get install npm failed"
  fi
  say "installing deno@${DENO_VERSION} from the npm registry"
  npm install -g --silent "deno@${DENO_VERSION}" >/dev/null ||
    fail "npm install -g deno@${DENO_VERSION} failed"
  hash -r
  have_deno || fail "deno ${DENO_VERSION} is not on PATH after installing it (npm prefix: $(npm prefix -g))"
  say "installed $(deno --version | head -n 1)"
fi

# Fetch the npm dependencies pinned in deno.lock once, so the first test or
# demo run does not spend its time downloading.
cd "$(dirname "$0")/.."
deno install --frozen >/dev/null 2>&1 || deno install >/dev/null ||
  fail "deno install could not fetch the npm dependencies"
say "ready"
