-- Confirming an address never activates a password the confirmer did not choose: a
-- sign-up's verification token remembers the digest of a secret kept in the signing-up
-- browser's cookie. The emailed link confirms at once only in that browser; anywhere
-- else the page asks for the password chosen at sign-up. NULL for tokens without one.
ALTER TABLE account_tokens ADD COLUMN browser_hash TEXT;
