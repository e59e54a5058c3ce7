#!/usr/bin/env python3
"""Writes crates/orgpass-core/src/public_suffixes.txt: the ICANN section of the Public Suffix List,
one rule a line, international labels in punycode, sorted.

Source: Debian's `publicsuffix` package (/usr/share/publicsuffix/public_suffix_list.dat).
Run: python3 scripts/public-suffixes.py [LIST] > crates/orgpass-core/src/public_suffixes.txt
The private section (blogspot.com, github.io, ...) is left out on purpose: companies own
domains under those, and refusing them is the registrar's business, not ours.
"""
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/publicsuffix/public_suffix_list.dat"
rules, icann = set(), False
for line in open(path, encoding="utf-8"):
    line = line.strip()
    if line.startswith("// ===BEGIN ICANN DOMAINS==="):
        icann = True
    elif line.startswith("// ===END ICANN DOMAINS==="):
        break
    elif icann and line and not line.startswith("//"):
        prefix = "!" if line.startswith("!") else ""
        labels = []
        for label in line.lstrip("!").lower().split("."):
            labels.append(label if label == "*" or label.isascii() else label.encode("idna").decode())
        rules.add(prefix + ".".join(labels))
print("\n".join(sorted(rules)))
