-- The login path's form of the IdP certificates (#12): for each configured certificate,
-- its SHA-256 and the DER of its SubjectPublicKeyInfo ("<hex>.<base64>", JSON list, in
-- the order of `certificates`), written when the settings are saved, so that a login
-- parses no X.509. NULL for settings saved before this migration: the ACS then reads the
-- PEMs of `certificates` (and the next save writes the keys).
ALTER TABLE saml_settings ADD COLUMN signing_keys TEXT;
