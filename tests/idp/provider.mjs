// An organisation's identity provider for the sign-in tests: panva's oidc-provider (OpenID
// Certified), configured from a JSON file, with a programmatic login instead of a form:
// GET /interaction/<uid>/login?sub=<account> signs that account in and grants consent.
//
//   node provider.mjs config.json   -> prints "ready" once it listens
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map(config.accounts.map((account) => [account.sub, account]));

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    id_token_signed_response_alg: config.alg,
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
        const claims = {
          sub: account.sub,
          email: account.email,
          email_verified: true,
          name: account.name,
          groups: account.groups,
        };
        if (account.tid) claims.tid = account.tid;
        return claims;
      },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups', 'tid'] },
  // every claim of the granted scopes in the ID token: the portal reads no userinfo
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: Boolean(config.resource),
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'openid alliances:read governance:read admin',
        audience: config.resource,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: config.alg } },
      }),
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['test-idp-cookie-key'] },
  ttl: { AccessToken: 300, IdToken: 300, Interaction: 600, Session: 600, Grant: 600, ClientCredentials: 300 },
});

async function login(req, res, uid, sub) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const accountId = details.prompt.name === 'login' ? sub : details.session?.accountId;
  if (!accounts.has(accountId)) {
    const refused = { error: 'access_denied', error_description: 'no such account' };
    return provider.interactionFinished(req, res, refused, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  if (details.params.resource) grant.addResourceScope(details.params.resource, details.params.scope);
  const result = { login: { accountId }, consent: { grantId: await grant.save() } };
  return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  const match = /^\/interaction\/([^/]+)\/login\?sub=([^&]+)$/.exec(req.url);
  if (!match) return handle(req, res);
  login(req, res, match[1], decodeURIComponent(match[2])).catch((error) => {
    res.statusCode = 400;
    res.end(String(error));
  });
});
server.listen(config.port, '127.0.0.1', () => console.log('ready'));
