-- A login in flight is bound to the browser that started it: /login/sso sets a
-- short-lived SameSite=None cookie with a random secret, and its SHA-256 digest is kept
-- with the request; the ACS refuses a response whose RelayState belongs to another
-- browser (login CSRF). NULL only for rows written before this migration (refused).
ALTER TABLE saml_requests ADD COLUMN browser_hash TEXT;
