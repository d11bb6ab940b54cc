// Service-account tokens: kubectl create token, TokenReview, authenticating
// with the token, issuer discovery, and revocation when the account goes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { kubectlFor } from '../support/kubectl.ts';
import { Client } from '../support/client.ts';

let kv: Kubevisor;
let c: Client;
before(async () => { kv = await startKubevisor(); c = new Client(kv.kubeconfig); });
after(async () => { c?.close(); await kv?.stop(); });

async function review(token: string): Promise<any> {
  const r = await c.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }), headers: { 'Content-Type': 'application/json' },
  });
  assert.equal(r.status, 201);
  return r.json().status;
}

for (const version of ['1.33', '1.30']) {
  test(`kubectl ${version}: create token gives a token TokenReview accepts and the server authenticates`, async () => {
    const k = kubectlFor(kv, version);
    const sa = `robot-${version.replace('.', '-')}`;
    await k.ok(['create', 'serviceaccount', sa]);
    const token = (await k.ok(['create', 'token', sa, '--duration=20m'])).trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const st = await review(token);
    assert.equal(st.authenticated, true);
    assert.equal(st.user.username, `system:serviceaccount:default:${sa}`);
    assert.ok(st.user.groups.includes('system:serviceaccounts:default'));
    const who = await k.run(['--token', token, '--user=', 'auth', 'whoami']);
    assert.equal(who.code, 0, who.stderr);
    assert.match(who.stdout, new RegExp(`Username\\s+system:serviceaccount:default:${sa}`));
    // The account goes, and so does its token.
    await k.ok(['delete', 'serviceaccount', sa]);
    assert.equal((await review(token)).authenticated, undefined);
    const after = await k.run(['--token', token, '--user=', 'get', 'namespaces']);
    assert.notEqual(after.code, 0);
    assert.match(after.stderr, /Unauthorized|must be logged in/);
  });
}

test('issuer discovery: the JWKS verifies the token signature', async () => {
  const k = kubectlFor(kv, '1.33');
  await k.ok(['create', 'serviceaccount', 'oidc']);
  const token = (await k.ok(['create', 'token', 'oidc'])).trim();
  const config = JSON.parse(await k.ok(['get', '--raw', '/.well-known/openid-configuration']));
  assert.equal(config.issuer, 'https://kubernetes.default.svc.cluster.local');
  assert.match(config.jwks_uri, /\/openid\/v1\/jwks$/);
  const jwks = JSON.parse(await k.ok(['get', '--raw', '/openid/v1/jwks']));
  const [h, p, sig] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const jwk = jwks.keys.find((x: any) => x.kid === header.kid);
  assert.ok(jwk, 'the token names a published key');
  // A new cluster signs with ES256 (a JWS signature is r||s, IEEE P1363), published as such.
  assert.equal(header.alg, 'ES256');
  assert.equal(jwk.alg, 'ES256');
  assert.deepEqual(config.id_token_signing_alg_values_supported, ['ES256']);
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
  assert.equal(ok, true);
});
