// An organisation's identity provider for the tests: panva's oidc-provider (OpenID Certified),
// configured from a JSON file, with a programmatic login instead of a form:
// GET /interaction/<uid>/login?sub=<account> signs that account in and grants consent.
//
//   node provider.mjs config.json   -> prints "ready" on stdout once it listens
//
// The config (written by harness.py): issuer, port, jwks (private; the first key signs),
// clients, accounts, and optionally resource (+ resource_scope): a resource server whose
// access tokens are JWTs.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map(config.accounts.map((account) => [account.sub, account]));
// oidc-provider signs with the first key that fits the algorithm; JWT access tokens use the
// algorithm of the first key, so a rotated-in key signs those too.
const signingAlg = config.jwks.keys[0].alg;

const claims = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'groups', 'tid'],
};
const oidcScopes = new Set(['openid', 'offline_access', ...Object.keys(claims)]);

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    id_token_signed_response_alg: client.id_token_signed_response_alg ?? signingAlg,
    grant_types: ['authorization_code', 'client_credentials'],
    response_types: ['code'],
  })),
  jwks: config.jwks,
  async findAccount(ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        const result = {
          sub: account.sub,
          email: account.email,
          email_verified: true,
          name: account.name,
          groups: account.groups,
        };
        if (account.tid) result.tid = account.tid;
        return result;
      },
    };
  },
  claims,
  // Every claim of the granted scopes goes in the ID token: by default oidc-provider leaves
  // them to the userinfo endpoint whenever an access token for it is issued, and the portal
  // reads the ID token only.
  conformIdTokenClaims: false,
  features: {
    // No login form: /interaction/<uid>/login below stands in for the person.
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: Boolean(config.resource),
      // Without a resource parameter tokens stay opaque (for userinfo), as by default.
      defaultResource: () => undefined,
      // A code granted for the resource yields its token even if /token omits `resource`.
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, indicator) {
        if (indicator !== config.resource) throw new errors.InvalidTarget();
        return {
          scope: config.resource_scope,
          audience: config.resource,
          accessTokenFormat: 'jwt', // typ at+jwt, aud = the resource (RFC 9068)
          jwt: { sign: { alg: signingAlg } },
        };
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // Plain HTTP on loopback: cookies are secure only on secure requests, so these are not.
  cookies: { keys: ['test-idp-cookie-key'] },
  ttl: {
    AccessToken: 300,
    ClientCredentials: 300,
    IdToken: 300,
    Interaction: 600,
    Session: 600,
    Grant: 600,
  },
});

// What went wrong inside the provider reaches the harness's stderr log, not just the client.
provider.on('server_error', (ctx, error) => console.error('server_error', error));

function requestedClaims(claimsParam) {
  if (!claimsParam) return [];
  const parsed = typeof claimsParam === 'string' ? JSON.parse(claimsParam) : claimsParam;
  return [...Object.keys(parsed.id_token ?? {}), ...Object.keys(parsed.userinfo ?? {})];
}

// One submission answers both prompts: login (sign `sub` in) and consent (grant what the
// client asked for), so one redirect chain ends back at the client. When the prompt is only
// consent (a session exists already), the session's account is the one granting.
async function login(req, res, uid, sub) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const accountId = details.prompt.name === 'login' ? sub : details.session?.accountId;
  if (!accounts.has(accountId)) {
    const refused = { error: 'access_denied', error_description: 'no such account' };
    return provider.interactionFinished(req, res, refused, { mergeWithLastSubmission: false });
  }
  const { params } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  const scopes = String(params.scope ?? '').split(' ').filter(Boolean);
  grant.addOIDCScope(scopes.filter((scope) => oidcScopes.has(scope)).join(' '));
  grant.addOIDCClaims(requestedClaims(params.claims));
  for (const resource of [params.resource ?? []].flat()) grant.addResourceScope(resource, scopes.join(' '));
  const result = { login: { accountId }, consent: { grantId: await grant.save() } };
  return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  const url = new URL(req.url, config.issuer);
  const match = /^\/interaction\/([^/]+)\/login$/.exec(url.pathname);
  if (req.method !== 'GET' || !match || !url.searchParams.has('sub')) return handle(req, res);
  return login(req, res, match[1], url.searchParams.get('sub')).catch((error) => {
    console.error('login', error);
    res.statusCode = 400;
    res.end(String(error));
  });
});
server.listen(config.port, '127.0.0.1', () => console.log('ready'));
