#!/usr/bin/env bash
# Installs what the tests need besides npm packages, on Debian bookworm as root:
# - Mesa's lavapipe (software Vulkan) from bookworm-backports: Dawn in Node rejects stable's Mesa 22;
# - Debian's Chromium, which playwright-core drives for the browser tests.
# Does nothing when both are already there.
set -euo pipefail

have_mesa() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null) || return 1
  dpkg --compare-versions "$v" ge 24
}
have_chromium() { [ -x /usr/bin/chromium ]; }

if have_mesa && have_chromium; then
  echo "setup-debian: Mesa $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) and $(/usr/bin/chromium --version 2>/dev/null | head -1) already installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-debian: installing mesa-vulkan-drivers (bookworm-backports) and chromium needs root; run: sudo bash $0" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

# Add bookworm-backports from the Debian mirror this machine already uses.
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  if [ -z "$mirror" ]; then
    echo "setup-debian: found no Debian bookworm mirror in /etc/apt to take bookworm-backports from" >&2
    exit 1
  fi
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" \
    > /etc/apt/sources.list.d/bookworm-backports.sources
fi
apt-get update -q
have_mesa || apt-get install -y -q -t bookworm-backports mesa-vulkan-drivers
have_chromium || apt-get install -y -q chromium
