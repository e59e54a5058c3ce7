#!/usr/bin/env python3
"""python3-saml's verdict on every SAML fixture, as an independent oracle.

    python3 tests/oracle/python3_saml_verdicts.py tests/fixtures

OneLogin's python3-saml (PyPI `python3-saml`, libxmlsec1 underneath) validates each
`*.xml` fixture in strict mode as the service provider the fixtures were made for
(tests/fixtures/README.md), at the fixtures' time, and prints one JSON object per
line: {"name", "ok", "error"}. tests/python3_saml.rs compares these verdicts with ours.
"""
import base64
import calendar
import json
import os
import sys
from datetime import datetime, timezone

from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils

NOW = calendar.timegm(datetime(2026, 1, 1, 0, 1, 0, tzinfo=timezone.utc).utctimetuple())
# The fixtures' clock: python3-saml reads "now" through this one function.
OneLogin_Saml2_Utils.now = staticmethod(lambda: NOW)

SP = "https://sp.example.com/saml/acme"
ACS = "https://sp.example.com/saml/acme/acs"
IDP = "https://idp.example.com/metadata"
REQUEST = "_req5e1a0c"


def cert_for(name):
    for key in ("rsa4096", "p256", "p384"):
        if name.startswith(key):
            return key
    return "rsa2048"  # the configured IdP's key, also for attacker-signed.xml


def settings(dir, key):
    with open(os.path.join(dir, "keys", f"{key}.crt")) as f:
        cert = f.read()
    return OneLogin_Saml2_Settings({
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": SP,
            "assertionConsumerService": {
                "url": ACS,
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            },
            "NameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        },
        "idp": {
            "entityId": IDP,
            "singleSignOnService": {
                "url": "https://idp.example.com/sso",
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            },
            "x509cert": cert,
        },
        "security": {
            "wantAssertionsSigned": False,
            "wantMessagesSigned": False,
            "wantNameId": True,
            "wantAttributeStatement": False,
            "rejectDeprecatedAlgorithm": True,
            "allowRepeatAttributeName": True,
        },
    }, sp_validation_only=True)


def main(dir):
    request = {"https": "on", "http_host": "sp.example.com", "script_name": "/saml/acme/acs",
               "server_port": "443"}
    for file in sorted(os.listdir(dir)):
        if not file.endswith(".xml"):
            continue
        name = file[:-4]
        with open(os.path.join(dir, file), "rb") as f:
            encoded = base64.b64encode(f.read()).decode()
        request_id = None if name == "idp-initiated" else REQUEST
        try:
            response = OneLogin_Saml2_Response(settings(dir, cert_for(name)), encoded)
            ok = bool(response.is_valid(request, request_id, raise_exceptions=False))
            error = None if ok else response.get_error()
        except Exception as e:  # noqa: BLE001 - any refusal is a verdict
            ok, error = False, f"{type(e).__name__}: {e}"
        print(json.dumps({"name": name, "ok": ok, "error": error}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
