#!/usr/bin/env bash
# Installs the real peers the end-to-end tests talk to, when missing (Debian packages):
# Chromium and chromedriver (browser tests), Knot DNS and dnsdist (a DNS-over-HTTPS
# server for domain verification; see ../shared/DOH.md).
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v knotd >/dev/null || missing+=(knot)
command -v knotc >/dev/null || missing+=(knot)
command -v kdig >/dev/null || missing+=(knot-dnsutils)
command -v dnsdist >/dev/null || missing+=(dnsdist)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[setup] installing ${missing[*]} (apt)" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
