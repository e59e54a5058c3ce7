#!/usr/bin/env bash
# Installs the real peers the end-to-end tests talk to, when missing (Debian packages):
# Chromium and chromedriver (browser tests), Knot DNS and dnsdist (a DNS-over-HTTPS
# server for domain verification; see crates/orgpass-core/tests/fixtures/dns/README.md), xmlsec1 and openssl (the
# pysaml2 IdP signs through xmlsec1), oathtool (OATH Toolkit: the authenticator app of
# the two-step tests, an RFC 6238 implementation independent of ours), zbarimg (ZBar:
# the camera of that app, decoding the enrolment page's QR code); then from PyPI pysaml2 into
# .tools/idp-venv, python3-saml into .tools/oracle-venv and scim2-tester into .tools/scim-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v knotd >/dev/null || missing+=(knot)
command -v knotc >/dev/null || missing+=(knot)
command -v kdig >/dev/null || missing+=(knot-dnsutils)
command -v dnsdist >/dev/null || missing+=(dnsdist)
command -v xmlsec1 >/dev/null || missing+=(xmlsec1)
command -v openssl >/dev/null || missing+=(openssl)
command -v oathtool >/dev/null || missing+=(oathtool)
command -v zbarimg >/dev/null || missing+=(zbar-tools)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing ${missing[*]} (apt)" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The SAML identity provider of the SSO tests (tests/idp/idp.py).
PYSAML2_VERSION=7.5.5
IDP_VENV=.tools/idp-venv
if ! "$IDP_VENV/bin/python" -c "import saml2" 2>/dev/null; then
  echo "[setup] installing pysaml2 $PYSAML2_VERSION into $IDP_VENV (pip)" >&2
  python3 -m venv "$IDP_VENV"
  "$IDP_VENV/bin/pip" install --quiet "pysaml2==$PYSAML2_VERSION"
fi

# The independent SCIM compliance checker (tests/scim/compliance.py): scim2-tester, with the
# scim2-client and its httpx2 engine it was checked with.
SCIM_VENV=.tools/scim-venv
if ! "$SCIM_VENV/bin/python" -c "import scim2_tester, httpx2" 2>/dev/null; then
  echo "[setup] installing scim2-tester into $SCIM_VENV (pip)" >&2
  python3 -m venv "$SCIM_VENV"
  "$SCIM_VENV/bin/pip" install --quiet scim2-tester==0.5.2 scim2-client==0.13.2 scim2-models==0.12.3 httpx2==2.16.2 pydantic==2.14.4
fi

# The independent SAML oracle (crates/saml-sp/tests/python3_saml.rs): OneLogin's python3-saml on
# libxmlsec1, pinned with the lxml and xmlsec wheels it was checked with.
ORACLE_VENV=.tools/oracle-venv
if ! "$ORACLE_VENV/bin/python" -c "import onelogin.saml2" 2>/dev/null; then
  echo "[setup] installing python3-saml into $ORACLE_VENV (pip)" >&2
  python3 -m venv "$ORACLE_VENV"
  "$ORACLE_VENV/bin/pip" install --quiet python3-saml==1.16.0 xmlsec==1.3.17 lxml==6.1.3 isodate==0.7.2
fi
