// Prints a fresh development signing key for the OpenID Connect provider: RSA 2048,
// PKCS#8, the base64 of its DER on one line (what OIDC_SIGNING_KEY accepts besides
// PEM). `make dev` keeps one in .tools/ (never committed); the tests make their own.
import { generateKeyPairSync } from "node:crypto";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
process.stdout.write(privateKey.export({ type: "pkcs8", format: "der" }).toString("base64"));
