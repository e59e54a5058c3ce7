#!/usr/bin/env python3
"""A SAML identity provider that nobody at orgpass wrote: pysaml2 (PyPI), signing
through Debian's xmlsec1, behind a small HTTP server for the end-to-end tests and the
ACS benchmark.

    idp.py --port P --bits 2048|4096 --state DIR

Endpoints (all under http://127.0.0.1:P):
  GET  /metadata          the IdP's metadata (entity ID = this URL)
  GET  /sso/redirect      HTTP-Redirect binding: shows a login form for the AuthnRequest
  POST /sso/login         the login form: answers pysaml2's auto-submit POST form to the ACS
  GET  /idp-initiated     ?sp=<SP entity ID>&user=<email>[&relay_state=…]: unsolicited
  GET  /batch             ?sp=…&user=…&n=N: N distinct IdP-initiated responses (JSON list
                          of base64 SAMLResponse values), for the load generator
Every response-making endpoint takes `sign=response|assertion|both` (default assertion);
/idp-initiated also `alg=sha256|sha1` (default sha256).
The SP's metadata is fetched from `<SP entity ID>/metadata` the first time it is seen.
The signing key (RSA, --bits) is made with openssl into --state on first start.
"""

import argparse
import base64
import html
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, xmldsig
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

# pysaml2 signs with RSA-SHA1 unless told otherwise; orgpass refuses SHA-1 by default.
ALGORITHMS = {
    "sha256": (xmldsig.SIG_RSA_SHA256, xmldsig.DIGEST_SHA256),
    "sha1": (xmldsig.SIG_RSA_SHA1, xmldsig.DIGEST_SHA1),
}

AUTHN = {"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}


def make_key(state, bits):
    key = os.path.join(state, f"idp-{bits}.key")
    cert = os.path.join(state, f"idp-{bits}.crt")
    if not os.path.exists(cert):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", f"rsa:{bits}", "-nodes", "-days", "3650",
             "-keyout", key, "-out", cert, "-subj", f"/CN=pysaml2 test IdP {bits}"],
            check=True, capture_output=True,
        )
    return key, cert


def build_server(base, key, cert, state):
    config = IdPConfig()
    config.load({
        "entityid": f"{base}/metadata",
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)]},
            "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
            "want_authn_requests_signed": False,
            "policy": {"default": {"lifetime": {"minutes": 5}}},
        }},
        "key_file": key,
        "cert_file": cert,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {},
        "accepted_time_diff": 120,
    })
    return Server(config=config)


class Idp:
    def __init__(self, base, key, cert, state):
        self.server = build_server(base, key, cert, state)
        self.known_sps = set()

    def know(self, sp_entity_id):
        if sp_entity_id in self.known_sps:
            return
        with urllib.request.urlopen(sp_entity_id + "/metadata", timeout=10) as r:
            xml = r.read().decode()
        self.server.metadata.load("inline", xml)
        self.known_sps.add(sp_entity_id)

    def response(self, sp, acs, user, in_response_to, sign, alg="sha256"):
        self.know(sp)
        sign_alg, digest_alg = ALGORITHMS[alg]
        resp = self.server.create_authn_response(
            identity={"mail": [user]},
            in_response_to=in_response_to,
            destination=acs,
            sp_entity_id=sp,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=user),
            authn=AUTHN,
            sign_response=sign in ("response", "both"),
            sign_assertion=sign in ("assertion", "both"),
            sign_alg=sign_alg,
            digest_alg=digest_alg,
        )
        return str(resp)

    def post_form(self, acs, response_xml, relay_state):
        info = self.server.apply_binding(
            BINDING_HTTP_POST, response_xml, acs, relay_state, response=True
        )
        return info["data"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bits", type=int, default=2048)
    ap.add_argument("--state", required=True)
    args = ap.parse_args()
    os.makedirs(args.state, exist_ok=True)
    base = f"http://127.0.0.1:{args.port}"
    key, cert = make_key(args.state, args.bits)
    idp = Idp(base, key, cert, args.state)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):  # quiet
            pass

        def send(self, status, body, ctype="text/html; charset=utf-8"):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            q = dict(urllib.parse.parse_qsl(url.query))
            try:
                if url.path == "/metadata":
                    self.send(200, create_metadata_string(None, idp.server.config, 4, None, None, None, None, None).decode(),
                              "application/samlmetadata+xml")
                elif url.path == "/sso/redirect":
                    req = idp.server.parse_authn_request(q["SAMLRequest"], BINDING_HTTP_REDIRECT)
                    msg = req.message
                    hidden = "".join(
                        f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                        for k, v in {
                            "request_id": msg.id,
                            "sp": msg.issuer.text,
                            "acs": msg.assertion_consumer_service_url,
                            "relay_state": q.get("RelayState", ""),
                        }.items()
                    )
                    self.send(200, (
                        "<!doctype html><title>Test IdP login</title><h1>Test IdP</h1>"
                        f'<form method="post" action="/sso/login">{hidden}'
                        '<label>Email <input id="user" name="user"></label>'
                        '<select name="sign" id="sign"><option>assertion</option><option>response</option><option>both</option></select>'
                        '<button type="submit" id="login">Log in</button></form>'))
                elif url.path == "/idp-initiated":
                    sp = q["sp"]
                    xml = idp.response(sp, sp + "/acs", q["user"], None, q.get("sign", "assertion"),
                                       q.get("alg", "sha256"))
                    self.send(200, idp.post_form(sp + "/acs", xml, q.get("relay_state")))
                elif url.path == "/batch":
                    sp = q["sp"]
                    out = []
                    for _ in range(int(q.get("n", "1"))):
                        xml = idp.response(sp, sp + "/acs", q["user"], None, q.get("sign", "assertion"))
                        out.append(base64.b64encode(xml.encode()).decode())
                    self.send(200, json.dumps(out), "application/json")
                elif url.path == "/healthz":
                    self.send(200, "ok", "text/plain")
                else:
                    self.send(404, "not found", "text/plain")
            except Exception as e:  # a test peer: say what went wrong
                self.send(500, f"idp error: {e!r}", "text/plain")

        def do_POST(self):
            url = urllib.parse.urlparse(self.path)
            length = int(self.headers.get("content-length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            try:
                if url.path == "/sso/login":
                    xml = idp.response(form["sp"], form["acs"], form["user"], form["request_id"],
                                       form.get("sign", "assertion"))
                    self.send(200, idp.post_form(form["acs"], xml, form.get("relay_state") or None))
                else:
                    self.send(404, "not found", "text/plain")
            except Exception as e:
                self.send(500, f"idp error: {e!r}", "text/plain")

    # A test peer dies with the test process that started it.
    parent = os.getppid()

    def watch_parent():
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"idp ready {base}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
