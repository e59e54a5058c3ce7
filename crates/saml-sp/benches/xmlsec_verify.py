#!/usr/bin/env python3
"""libxmlsec1 (through the `xmlsec` binding from PyPI) verifying one SAML response in a
loop inside one process, as the reference for benches/saml.rs.

    python3 benches/xmlsec_verify.py RESPONSE.xml CERT.pem SECONDS

Each iteration does what a SAML library built on xmlsec does for one login: parse the
bytes with libxml2, register the ID attributes, find the signature, verify it with the
configured certificate. Prints the verifications per second on one line.
"""
import sys
import time

import xmlsec
from lxml import etree

path, cert, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
data = open(path, "rb").read()
key = xmlsec.Key.from_file(cert, xmlsec.constants.KeyDataFormatCertPem)


def once():
    root = etree.fromstring(data)
    xmlsec.tree.add_ids(root, ["ID"])
    sig = xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature)
    ctx = xmlsec.SignatureContext()
    ctx.key = key
    ctx.verify(sig)


once()  # fails loudly if the document does not verify
n, start = 0, time.perf_counter()
while time.perf_counter() - start < seconds:
    for _ in range(20):
        once()
    n += 20
print(f"{n / (time.perf_counter() - start):.1f}")
