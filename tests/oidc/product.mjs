// A product that signs people in through orgpass with OpenID Connect, written with
// openid-client (a certified relying-party library) the way docs/oidc.md shows. The
// end-to-end and browser tests run it as the product on the other side of orgpass, and
// check every ID token once more with jose (an independent JOSE library) against the
// published JWKS.
//
//   ISSUER=http://127.0.0.1:8787 CLIENT_ID=cli_… CLIENT_SECRET=… PORT=3000 \
//     node tests/oidc/product.mjs
//
// GET /home                      → the product's page (HTML): "Sign in with orgpass", or who
//                                  is signed in and their organizations
// GET /login[?prompt=&max_age=]  → to orgpass; GET /callback → signed in (JSON below; a
//                                  browser asking for HTML goes on to /home)
// GET /me                        → userinfo with the access token
// POST /refresh                  → the refresh grant (new tokens, fresh claims)
// POST /revoke                   → revokes the refresh token
// GET /logout                    → RP-initiated logout at orgpass, back to GET /
// POST /backchannel              → Back-Channel Logout: ends the sessions of that sid
// GET /backchannel-log           → the logout tokens received (verified claims)
// FAIL_BACKCHANNEL=n answers the first n back-channel posts with 500 (retry tests).
// CLIENT_AUTH=basic (default) or post chooses client_secret_basic or client_secret_post.
// Answers are JSON. `tokens` is there for the tests only: a real product keeps them.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import * as jose from 'jose';

const { ISSUER, CLIENT_ID, CLIENT_SECRET, PORT = '3000', CLIENT_AUTH = 'basic' } = process.env;
const REDIRECT_URI = `http://127.0.0.1:${PORT}/callback`;
const SCOPE = process.env.SCOPE ?? 'openid profile email organizations offline_access';

// Discovery: every endpoint comes from /.well-known/openid-configuration. http is
// allowed only because the tests run orgpass on a loopback address.
const auth = CLIENT_AUTH === 'post' ? client.ClientSecretPost(CLIENT_SECRET) : client.ClientSecretBasic(CLIENT_SECRET);
const config = await client.discovery(new URL(ISSUER), CLIENT_ID, undefined, auth, {
  execute: [client.allowInsecureRequests],
});
// Check ID token signatures against the JWKS too (not only TLS to the token endpoint).
client.enableNonRepudiationChecks(config);
const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));

const logins = new Map(); // pending logins: state, nonce, PKCE verifier
const sessions = new Map(); // signed-in people: their tokens (and the orgpass sid)
const logouts = []; // verified logout tokens received
let failBackchannel = Number(process.env.FAIL_BACKCHANNEL ?? 0);

async function readBody(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

function cookie(req, name) {
  const found = (req.headers.cookie ?? '').split(';').map((c) => c.trim().split('='));
  return found.find(([k]) => k === name)?.[1];
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body, null, 2));
}

async function signedIn(tokens, previous) {
  const claims = tokens.claims();
  // The independent check: jose verifies the signature, issuer and audience.
  const { protectedHeader } = await jose.jwtVerify(tokens.id_token, jwks, { issuer: ISSUER, audience: CLIENT_ID });
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  return {
    claims,
    userinfo,
    kid: protectedHeader.kid,
    scope: tokens.scope,
    tokens: {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token ?? previous?.refresh_token,
      id_token: tokens.id_token,
    },
  };
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const wantsHtml = (req) => (req.headers.accept ?? '').includes('text/html');

function home(res, session) {
  const body = session
    ? `<h1>Signed in</h1><p id="who">${escape(session.claims.name)} (${escape(session.claims.email)})</p>
       <ul id="organizations">${(session.claims.organizations ?? []).map((o) =>
         `<li>${escape(o.name)}: ${escape(o.role)}</li>`).join('')}</ul>
       <p><a id="logout" href="/logout">Log out</a></p>`
    : '<h1>Tracker</h1><p><a id="login" href="/login">Sign in with orgpass</a></p>';
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html><html lang="en"><head><title>Test product</title></head><body>${body}</body></html>`);
}

function failure(res, e) {
  // openid-client's errors carry the OAuth error (`error`) and the HTTP status.
  const error = e.error ?? e.cause?.error ?? e.code ?? 'error';
  send(res, e.status && e.status >= 400 ? e.status : 400, {
    error,
    error_description: e.error_description ?? e.cause?.error_description ?? e.message,
  });
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${PORT}`);
  try {
    if (url.pathname === '/login') {
      const login = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() };
      const parameters = {
        redirect_uri: REDIRECT_URI,
        scope: SCOPE,
        code_challenge: await client.calculatePKCECodeChallenge(login.verifier),
        code_challenge_method: 'S256',
        state: login.state,
        nonce: login.nonce,
      };
      for (const extra of ['prompt', 'max_age']) {
        if (url.searchParams.has(extra)) parameters[extra] = url.searchParams.get(extra);
      }
      login.maxAge = url.searchParams.has('max_age') ? Number(url.searchParams.get('max_age')) : undefined;
      const id = randomUUID();
      logins.set(id, login);
      const to = client.buildAuthorizationUrl(config, parameters);
      res.writeHead(302, { location: to.href, 'set-cookie': `product_login=${id}; Path=/; HttpOnly` });
      return res.end();
    }
    if (url.pathname === '/callback') {
      const login = logins.get(cookie(req, 'product_login'));
      if (!login) return send(res, 400, { error: 'no_login_in_progress' });
      logins.delete(cookie(req, 'product_login'));
      // Checks state, iss (RFC 9207), PKCE, the ID token and its nonce.
      const tokens = await client.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
        maxAge: login.maxAge,
      });
      const session = await signedIn(tokens);
      const id = randomUUID();
      sessions.set(id, { ...session.tokens, sid: session.claims.sid, claims: session.claims });
      const setCookie = `product_session=${id}; Path=/; HttpOnly`;
      if (wantsHtml(req)) {
        res.writeHead(303, { location: '/home', 'set-cookie': setCookie });
        return res.end();
      }
      return send(res, 200, session, { 'set-cookie': setCookie });
    }
    if (url.pathname === '/backchannel' && req.method === 'POST') {
      if (failBackchannel > 0) {
        failBackchannel -= 1;
        return send(res, 500, { error: 'temporarily_unavailable' });
      }
      const token = (await readBody(req)).get('logout_token');
      // Back-Channel Logout 1.0 §2.6: signature, iss, aud, iat, typ, the event, a sid
      // or sub, and no nonce.
      const { payload } = await jose.jwtVerify(token, jwks, {
        // Three minutes of clock skew either way (the retry test runs orgpass's Cron
        // two minutes ahead of this clock).
        issuer: ISSUER, audience: CLIENT_ID, typ: 'logout+jwt', maxTokenAge: '5m', clockTolerance: '3m',
        requiredClaims: ['iat', 'jti', 'events', 'sid', 'sub'],
      });
      if (!('http://schemas.openid.net/event/backchannel-logout' in payload.events) || 'nonce' in payload) {
        return send(res, 400, { error: 'invalid_request' });
      }
      logouts.push(payload);
      for (const [id, s] of sessions) if (s.sid === payload.sid) sessions.delete(id);
      res.writeHead(200, { 'cache-control': 'no-store' });
      return res.end();
    }
    if (url.pathname === '/backchannel-log') return send(res, 200, logouts);
    if (url.pathname === '/home') return home(res, sessions.get(cookie(req, 'product_session')));
    if (url.pathname === '/') {
      if (wantsHtml(req)) return home(res, undefined);
      return send(res, 200, { logged_out: true, state: url.searchParams.get('state') });
    }
    const id = cookie(req, 'product_session');
    const tokens = sessions.get(id);
    if (!tokens) return send(res, 401, { error: 'not_signed_in' });
    if (url.pathname === '/me') {
      return send(res, 200, await client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck));
    }
    if (url.pathname === '/refresh' && req.method === 'POST') {
      const session = await signedIn(await client.refreshTokenGrant(config, tokens.refresh_token), tokens);
      sessions.set(id, { ...session.tokens, sid: tokens.sid, claims: session.claims });
      return send(res, 200, session);
    }
    if (url.pathname === '/logout') {
      sessions.delete(id);
      const to = client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token,
        post_logout_redirect_uri: `http://127.0.0.1:${PORT}/`,
        state: 'bye',
      });
      res.writeHead(302, { location: to.href, 'set-cookie': 'product_session=; Path=/; Max-Age=0' });
      return res.end();
    }
    if (url.pathname === '/revoke' && req.method === 'POST') {
      await client.tokenRevocation(config, tokens.refresh_token);
      return send(res, 200, { revoked: true });
    }
    send(res, 404, { error: 'not_found' });
  } catch (e) {
    failure(res, e);
  }
});

server.listen(Number(PORT), '127.0.0.1', () => console.log(JSON.stringify({ listening: REDIRECT_URI })));
