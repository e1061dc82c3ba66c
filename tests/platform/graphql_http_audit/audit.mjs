// The graphql-http conformance audit against a running portal.
//
//   node audit.mjs <graphql url> <bearer token>
//   PORTAL_AUDIT_URL=... PORTAL_AUDIT_TOKEN=... node audit.mjs
//
// Prints the results as one JSON array of {id, name, status, reason} on stdout and exits 0
// whatever they say: judging them is the caller's job (tests/platform/test_graphql_over_http.py).
// Exits 2 on a usage error and 1 if the audit itself could not run (server unreachable).
import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? process.env.PORTAL_AUDIT_URL;
const token = process.argv[3] ?? process.env.PORTAL_AUDIT_TOKEN;
if (!url || !token) {
  console.error('usage: node audit.mjs <graphql url> <bearer token>');
  process.exit(2);
}

// Every request is authenticated, so each audit meets the GraphQL endpoint and not the 401.
function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

try {
  const results = await auditServer({ url, fetchFn });
  const summary = results.map(({ id, name, status, reason }) => ({
    id,
    name,
    status,
    reason: reason ?? null,
  }));
  console.log(JSON.stringify(summary, null, 2));
} catch (error) {
  console.error(`the audit could not run: ${error?.stack ?? error}`);
  process.exit(1);
}
