import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import {
  ClusterSigningKey, ensureSigningKey, generateSigningKey, keyIdOf, readSigningKey, signingKeyFrom, signingKeyPath,
  verificationKeyFromPem, type SigningKey,
} from './keys.ts';
import { JWKS_CONTENT_TYPE, JWKS_PATH, OPENID_CONFIG_PATH, jwks, jwksUriFor, oidcResponse, openIDConfiguration } from './oidc.ts';
import { handleTokenRequest, type TokenRequestContext } from './token-request.ts';
import {
  ServiceAccountTokenAuthenticator, decodeJwt, derToJoseSignature, issueToken, issueTokenAsync, signJwt, type LookupKind, type ObjectLookup,
} from './tokens.ts';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0); // a fixed "now"
const T0S = T0 / 1000;

let rsa: SigningKey;
let otherRsa: SigningKey;
before(async () => {
  [rsa, otherRsa] = await Promise.all([generateSigningKey('RS256'), generateSigningKey('RS256')]);
});

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-sa-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A tiny object store standing in for the watch cache. */
class Objects {
  private readonly m = new Map<string, KubeObject>();
  private key(kind: LookupKind, ns: string | undefined, name: string) { return `${kind}/${kind === 'Node' ? '' : ns ?? ''}/${name}`; }
  put(kind: LookupKind, obj: KubeObject): KubeObject {
    this.m.set(this.key(kind, obj.metadata.namespace, obj.metadata.name!), obj);
    return obj;
  }
  delete(kind: LookupKind, ns: string | undefined, name: string): void { this.m.delete(this.key(kind, ns, name)); }
  readonly lookup: ObjectLookup = (kind, ns, name) => this.m.get(this.key(kind, ns, name));
}

function world() {
  const o = new Objects();
  o.put('ServiceAccount', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'ci', uid: 'sa-uid-1' } });
  o.put('Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job-1', namespace: 'ci', uid: 'pod-uid-1' }, spec: { serviceAccountName: 'builder', nodeName: 'node-a' } });
  o.put('Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'node-uid-a' } });
  o.put('Secret', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'ci', uid: 'secret-uid-1' } });
  return o;
}

function authenticator(o: Objects, now = T0, extra: Partial<ConstructorParameters<typeof ServiceAccountTokenAuthenticator>[0]> = {}) {
  return new ServiceAccountTokenAuthenticator({ issuer: ISSUER, keys: rsa, lookup: o.lookup, now: () => now, ...extra });
}

function podToken(opts: { audiences?: string[]; expirationSeconds?: number; now?: number } = {}) {
  return issueToken({
    key: rsa, issuer: ISSUER, audiences: opts.audiences ?? [ISSUER], expirationSeconds: opts.expirationSeconds,
    namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid-1' },
    boundObject: { kind: 'Pod', name: 'job-1', uid: 'pod-uid-1' }, node: { name: 'node-a', uid: 'node-uid-a' },
    now: opts.now ?? T0, jti: '8b1c1c4e-0b7e-4a55-9d5c-0e6f0d7f7a11',
  });
}

// ---------------------------------------------------------------------------
// keys

// A public key from kube-apiserver's own tests, with the key ID it derives for it.
const UPSTREAM_RSA_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA249XwEo9k4tM8fMxV7zx
OhcrP+WvXn917koM5Qr2ZXs4vo26e4ytdlrV0bQ9SlcLpQVSYjIxNfhTZdDt+ecI
zshKuv1gKIxbbLQMOuK1eA/4HALyEkFgmS/tleLJrhc65tKPMGD+pKQ/xhmzRuCG
51RoiMgbQxaCyYxGfNLpLAZK9L0Tctv9a0mJmGIYnIOQM4kC1A1I1n3EsXMWmeJU
j7OTh/AjjCnMnkgvKT2tpKxYQ59PgDgU8Ssc7RDSmSkLxnrv+OrN80j6xrw0OjEi
B4Ycr0PqfzZcvy8efTtFQ/Jnc4Bp1zUtFXt7+QeevePtQ2EcyELXE0i63T1CujRM
WwIDAQAB
-----END PUBLIC KEY-----
`;
const UPSTREAM_RSA_KEY_ID = 'JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU';

test('the key ID is derived from the public key as kube-apiserver derives it', () => {
  const key = verificationKeyFromPem(UPSTREAM_RSA_PUBLIC_KEY);
  assert.equal(key.kid, UPSTREAM_RSA_KEY_ID);
  assert.equal(key.alg, 'RS256');
  assert.equal(keyIdOf(createPublicKey(UPSTREAM_RSA_PUBLIC_KEY)), UPSTREAM_RSA_KEY_ID);
  // The published JWK: members in upstream's order.
  const jwk = JSON.stringify(jwks(key).keys[0]);
  assert.ok(jwk.startsWith(`{"use":"sig","kty":"RSA","kid":"${UPSTREAM_RSA_KEY_ID}","alg":"RS256","n":"249XwEo9k4tM8fMxV7zxOhcrP-WvXn917koM5Qr2ZXs4vo26`), jwk);
  assert.ok(jwk.endsWith('"e":"AQAB"}'));
});

test('a signing key is generated on first use, persisted privately, and loaded afterwards', async (t) => {
  const dataDir = tempDir(t);
  const path = signingKeyPath(dataDir, 'alpha');
  assert.equal(path, join(dataDir, 'clusters', 'alpha', 'sa-signing-key.pem'));
  assert.equal(await readSigningKey(path), undefined);

  // Concurrent first uses agree on one key.
  const [a, b] = await Promise.all([ensureSigningKey(path), ensureSigningKey(path)]);
  assert.equal(a.kid, b.kid);
  assert.equal(a.alg, 'RS256');
  assert.equal(a.privateKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(dirname(path)).mode & 0o077, 0);

  const again = await ensureSigningKey(path);
  assert.equal(again.kid, a.kid);
  assert.equal((await readSigningKey(path))?.kid, a.kid);

  // A "restart": a fresh holder peeks the file without generating anything.
  const holder = ClusterSigningKey.forCluster(dataDir, 'alpha');
  assert.equal(holder.peek()?.kid, a.kid);
  assert.equal((await holder.get()).kid, a.kid);

  // Another cluster: nothing on disk until a key is needed.
  const beta = ClusterSigningKey.forCluster(dataDir, 'beta');
  assert.equal(beta.peek(), undefined);
  const betaKey = await beta.get();
  assert.notEqual(betaKey.kid, a.kid);
  assert.equal(beta.peek()?.kid, betaKey.kid);
  assert.equal(ClusterSigningKey.forCluster(dataDir, 'beta').peek()?.kid, betaKey.kid);
});

test('an unusable key file is an error, not silently replaced', async (t) => {
  const dataDir = tempDir(t);
  const path = signingKeyPath(dataDir, 'broken');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'not a key');
  await assert.rejects(ensureSigningKey(path), /sa-signing-key\.pem is not usable/);
  assert.throws(() => new ClusterSigningKey(path).peek(), /not usable/);
  // Too small an RSA key is refused too.
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  writeFileSync(path, small.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await assert.rejects(ensureSigningKey(path), /too small/);
});

test('issueTokenAsync signs on the thread pool: the same claims, and the token verifies (ES256 and RS256)', async (t) => {
  const dataDir = tempDir(t);
  const path = signingKeyPath(dataDir, 'ec-async');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }));
  const ec = await ensureSigningKey(path);
  for (const key of [ec, rsa]) {
    const opts = { key, issuer: ISSUER, audiences: [ISSUER], namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid-1' }, now: T0, jti: 'fixed' };
    const sync = issueToken(opts);
    const issued = await issueTokenAsync(opts);
    assert.deepEqual(issued.claims, sync.claims);
    assert.equal(issued.expirationTimestamp, sync.expirationTimestamp);
    assert.deepEqual(decodeJwt(issued.token)!.header, decodeJwt(sync.token)!.header);
    const auth = new ServiceAccountTokenAuthenticator({ issuer: ISSUER, keys: key, lookup: world().lookup, now: () => T0 });
    assert.equal(auth.authenticateToken(issued.token)?.username, 'system:serviceaccount:ci:builder', key.alg);
  }
});

test('an EC key file signs ES256 tokens that verify', async (t) => {
  const dataDir = tempDir(t);
  const path = signingKeyPath(dataDir, 'ec');
  mkdirSync(dirname(path), { recursive: true });
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(path, pair.privateKey.export({ type: 'sec1', format: 'pem' }));
  const key = await ensureSigningKey(path);
  assert.equal(key.alg, 'ES256');
  const { token } = issueToken({ key, issuer: ISSUER, audiences: [ISSUER], namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid-1' }, now: T0 });
  const auth = new ServiceAccountTokenAuthenticator({ issuer: ISSUER, keys: key, lookup: world().lookup, now: () => T0 });
  assert.equal(auth.authenticateToken(token)?.username, 'system:serviceaccount:ci:builder');
  const jwk = jwks(key).keys[0]!;
  assert.deepEqual(Object.keys(jwk), ['use', 'kty', 'kid', 'crv', 'alg', 'x', 'y']);
  assert.equal(jwk.crv, 'P-256');
});

// ---------------------------------------------------------------------------
// tokens

test('issue and verify: upstream claims, header and user', () => {
  const issued = podToken();
  const jwt = decodeJwt(issued.token)!;
  assert.deepEqual(jwt.header, { alg: 'RS256', kid: rsa.kid });
  assert.deepEqual(Object.keys(jwt.payload), ['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
  assert.deepEqual(jwt.payload, {
    aud: [ISSUER],
    exp: T0S + 3600,
    iat: T0S,
    iss: ISSUER,
    jti: '8b1c1c4e-0b7e-4a55-9d5c-0e6f0d7f7a11',
    'kubernetes.io': {
      namespace: 'ci',
      node: { name: 'node-a', uid: 'node-uid-a' },
      pod: { name: 'job-1', uid: 'pod-uid-1' },
      serviceaccount: { name: 'builder', uid: 'sa-uid-1' },
    },
    nbf: T0S,
    sub: 'system:serviceaccount:ci:builder',
  });
  assert.equal(issued.expirationTimestamp, '2026-01-15T13:00:00Z');

  const result = authenticator(world()).authenticate(issued.token);
  assert.deepEqual(result, {
    ok: true,
    audiences: [ISSUER],
    user: {
      username: 'system:serviceaccount:ci:builder',
      uid: 'sa-uid-1',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
      extra: {
        'authentication.kubernetes.io/credential-id': ['JTI=8b1c1c4e-0b7e-4a55-9d5c-0e6f0d7f7a11'],
        'authentication.kubernetes.io/node-name': ['node-a'],
        'authentication.kubernetes.io/node-uid': ['node-uid-a'],
        'authentication.kubernetes.io/pod-name': ['job-1'],
        'authentication.kubernetes.io/pod-uid': ['pod-uid-1'],
      },
    },
  });
});

test('issueToken validates the lifetime and the binding', () => {
  const base = { key: rsa, issuer: ISSUER, audiences: [ISSUER], namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid-1' } };
  assert.throws(() => issueToken({ ...base, expirationSeconds: 599 }), RangeError);
  assert.throws(() => issueToken({ ...base, expirationSeconds: 2 ** 32 + 1 }), RangeError);
  assert.throws(() => issueToken({ ...base, expirationSeconds: 1000.5 }), RangeError);
  assert.doesNotThrow(() => issueToken({ ...base, expirationSeconds: 600 }));
  assert.doesNotThrow(() => issueToken({ ...base, expirationSeconds: 2 ** 32 }));
  assert.throws(() => issueToken({ ...base, boundObject: { kind: 'Secret', name: 's', uid: 'u' }, node: { name: 'n' } }), /pod-bound/);
  // Unique token IDs by default.
  assert.notEqual(issueToken(base).claims.jti, issueToken(base).claims.jti);
});

test('expiry, not-before and issued-at honour one minute of leeway', () => {
  const o = world();
  const { token } = podToken({ expirationSeconds: 600 });
  const exp = T0 + 600_000;
  assert.ok(authenticator(o, exp + 59_000).authenticateToken(token));
  const late = authenticator(o, exp + 61_000).authenticate(token);
  assert.deepEqual(late, { ok: false, recognized: true, error: 'service account token has expired' });
  assert.equal(authenticator(o, exp + 61_000).authenticateToken(token), undefined);

  const future = podToken({ now: T0 + 120_000 }).token;
  assert.deepEqual(authenticator(o, T0).authenticate(future), { ok: false, recognized: true, error: 'service account token is not valid yet' });
  assert.ok(authenticator(o, T0 + 61_000).authenticateToken(future));
});

test('audiences: the API audience by default, others only when asked for', () => {
  const o = world();
  const vault = podToken({ audiences: ['vault'] }).token;
  const auth = authenticator(o);
  assert.equal(auth.authenticateToken(vault), undefined);
  const r = auth.authenticate(vault);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error, `token audiences ["vault"] is invalid for the target audiences ["${ISSUER}"]`);
  // A TokenReview naming the audience accepts it, reporting the audiences matched.
  const asked = auth.authenticate(vault, ['vault', 'other']);
  assert.ok(asked.ok && asked.audiences.length === 1 && asked.audiences[0] === 'vault');
  // Explicit API audiences replace the issuer default.
  const withApi = authenticator(o, T0, { apiAudiences: ['api', 'vault'] });
  assert.ok(withApi.authenticateToken(vault));
  assert.equal(withApi.authenticateToken(podToken().token), undefined);
  // A token without aud counts as one for the API audiences.
  const noAud = issueToken({ key: rsa, issuer: ISSUER, audiences: [], namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid-1' }, now: T0 });
  assert.equal(decodeJwt(noAud.token)!.payload.aud, undefined);
  assert.ok(auth.authenticateToken(noAud.token));
});

test('deleting or recreating the service account or the bound object invalidates the token', () => {
  const pod = podToken().token;
  const secretBound = issueToken({
    key: rsa, issuer: ISSUER, audiences: [ISSUER], namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid-1' },
    boundObject: { kind: 'Secret', name: 'creds', uid: 'secret-uid-1' }, now: T0,
  }).token;
  const nodeBound = issueToken({
    key: rsa, issuer: ISSUER, audiences: [ISSUER], namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid-1' },
    boundObject: { kind: 'Node', name: 'node-a', uid: 'node-uid-a' }, now: T0,
  }).token;

  let o = world();
  o.delete('ServiceAccount', 'ci', 'builder');
  assert.deepEqual(authenticator(o).authenticate(pod), { ok: false, recognized: true, error: 'serviceaccounts "builder" not found' });

  o = world();
  o.put('ServiceAccount', { metadata: { name: 'builder', namespace: 'ci', uid: 'sa-uid-2' } });
  assert.deepEqual(authenticator(o).authenticate(pod), { ok: false, recognized: true, error: 'service account UID (sa-uid-2) does not match claim (sa-uid-1)' });

  o = world();
  o.delete('Pod', 'ci', 'job-1');
  assert.deepEqual(authenticator(o).authenticate(pod), { ok: false, recognized: true, error: 'service account token has been invalidated' });
  // The node of a pod-bound token is information only: its absence does not matter.
  o = world();
  o.delete('Node', undefined, 'node-a');
  assert.ok(authenticator(o).authenticateToken(pod));

  o = world();
  o.put('Pod', { metadata: { name: 'job-1', namespace: 'ci', uid: 'pod-uid-2' }, spec: { serviceAccountName: 'builder' } });
  assert.equal(authenticator(o).authenticateToken(pod), undefined);

  // Gracefully deleting: valid for the leeway, then not.
  o = world();
  o.put('Pod', { metadata: { name: 'job-1', namespace: 'ci', uid: 'pod-uid-1', deletionTimestamp: new Date(T0 - 30_000).toISOString() } });
  assert.ok(authenticator(o).authenticateToken(pod));
  assert.equal(authenticator(o, T0 + 31_000).authenticateToken(pod), undefined);

  o = world();
  assert.ok(authenticator(o).authenticateToken(secretBound));
  o.delete('Secret', 'ci', 'creds');
  assert.equal(authenticator(o).authenticateToken(secretBound), undefined);

  o = world();
  const nodeUser = authenticator(o).authenticateToken(nodeBound);
  assert.deepEqual(nodeUser?.extra?.['authentication.kubernetes.io/node-name'], ['node-a']);
  assert.equal(nodeUser?.extra?.['authentication.kubernetes.io/pod-name'], undefined);
  o.delete('Node', undefined, 'node-a');
  assert.equal(authenticator(o).authenticateToken(nodeBound), undefined);
});

test('signatures: only our key, only its algorithm, nothing tampered', () => {
  const o = world();
  const { token } = podToken();
  const auth = authenticator(o);

  // Another issuer's token is not ours to judge.
  const foreign = issueToken({ key: rsa, issuer: 'https://elsewhere.example', audiences: [ISSUER], namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid-1' }, now: T0 });
  assert.deepEqual(auth.authenticate(foreign.token), { ok: false, recognized: false, error: 'not a service account token of this issuer' });
  assert.equal(auth.authenticate('not-a-jwt').ok, false);
  assert.equal(auth.authenticate('{"iss":"x"}').ok, false);

  // Signed by a key we do not trust (same kid claimed, or none).
  const forged = signJwt({ ...otherRsa, kid: rsa.kid }, decodeJwt(token)!.payload);
  assert.deepEqual(auth.authenticate(forged), { ok: false, recognized: true, error: 'invalid signature' });
  const unknownKid = signJwt(otherRsa, decodeJwt(token)!.payload);
  assert.deepEqual(auth.authenticate(unknownKid), { ok: false, recognized: true, error: 'invalid signature, no keys found' });

  // A payload edited after signing.
  const [h, p, s] = token.split('.');
  const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
  payload['kubernetes.io'].serviceaccount.name = 'admin';
  const edited = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
  assert.equal(auth.authenticate(edited).ok, false);

  // alg "none" and a different algorithm are refused.
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: rsa.kid })).toString('base64url')}.${p}.`;
  assert.equal(auth.authenticate(none).ok, false);
  const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: rsa.kid })).toString('base64url')}.${p}.${s}`;
  assert.equal(auth.authenticate(hs).ok, false);

  // Rotation: a retired key still listed keeps its tokens valid.
  const old = issueToken({ key: otherRsa, issuer: ISSUER, audiences: [ISSUER], namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid-1' }, now: T0 });
  assert.equal(auth.authenticateToken(old.token), undefined);
  assert.ok(authenticator(o, T0, { keys: [rsa, { publicKey: otherRsa.publicKey, kid: otherRsa.kid, alg: 'RS256' }] }).authenticateToken(old.token));
});

test('a key source with no key yet accepts nothing; extended tokens report staleness', async (t) => {
  const dataDir = tempDir(t);
  const holder = ClusterSigningKey.forCluster(dataDir, 'lazy');
  const auth = new ServiceAccountTokenAuthenticator({ issuer: ISSUER, keys: holder, lookup: world().lookup, now: () => T0 + 4000_000 });
  const { token } = podToken();
  assert.equal(auth.authenticate(token).ok, false);
  const key = await holder.get();
  const stale = issueToken({
    key, issuer: ISSUER, audiences: [ISSUER], namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid-1' },
    boundObject: { kind: 'Pod', name: 'job-1', uid: 'pod-uid-1' }, expirationSeconds: 365 * 24 * 3600, warnAfterSeconds: 3607, now: T0,
  });
  assert.equal(stale.claims['kubernetes.io'].warnafter, T0S + 3607);
  const r = auth.authenticate(stale.token);
  assert.ok(r.ok);
  assert.equal(r.ok && r.staleSeconds, 4000 - 3607);
});

// ---------------------------------------------------------------------------
// issuer discovery

test('the JWKS verifies issued tokens with a standard JWK import', () => {
  const { token } = podToken();
  const set = JSON.parse(JSON.stringify(jwks([rsa, otherRsa]))) as { keys: Array<JsonWebKey & { kid: string; alg: string; use: string }> };
  assert.equal(set.keys.length, 2);
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string };
  const jwk = set.keys.find((k) => k.kid === header.kid)!;
  assert.equal(jwk.use, 'sig');
  assert.equal(jwk.kty, 'RSA');
  assert.equal(jwk.alg, header.alg);
  assert.equal(header.alg, 'RS256');
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url')));
  // The other key in the set does not verify it.
  const other = createPublicKey({ key: set.keys.find((k) => k.kid !== header.kid)!, format: 'jwk' });
  assert.equal(verify('sha256', Buffer.from(`${h}.${p}`), other, Buffer.from(s, 'base64url')), false);
});

test('the OpenID configuration document', () => {
  const doc = openIDConfiguration({ issuer: ISSUER, externalAddress: '10.0.0.1:6443', keys: rsa });
  assert.equal(JSON.stringify(doc),
    `{"issuer":"${ISSUER}","jwks_uri":"https://10.0.0.1:6443/openid/v1/jwks","response_types_supported":["id_token"],` +
    '"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}');
  assert.equal(openIDConfiguration({ issuer: ISSUER, jwksUri: 'https://example.com/keys', keys: rsa }).jwks_uri, 'https://example.com/keys');

  assert.throws(() => jwksUriFor({ issuer: 'http://insecure.example' , externalAddress: 'a' }), /https scheme/);
  assert.throws(() => jwksUriFor({ issuer: 'https://x.example?q=1', externalAddress: 'a' }), /query/);
  assert.throws(() => jwksUriFor({ issuer: 'https://x.example#f', externalAddress: 'a' }), /fragment/);
  assert.throws(() => jwksUriFor({ issuer: ISSUER }), /must be set/);
  assert.throws(() => jwksUriFor({ issuer: ISSUER, jwksUri: 'http://plain.example/jwks' }), /https/);
  assert.throws(() => jwksUriFor({ issuer: ISSUER, externalAddress: 'host/with/path' }), /could not construct/);

  const cfg = oidcResponse(OPENID_CONFIG_PATH, { issuer: ISSUER, externalAddress: 'api.example', keys: rsa })!;
  assert.equal(cfg.headers['Content-Type'], 'application/json');
  assert.equal(cfg.headers['Cache-Control'], 'public, max-age=3600');
  const keys = oidcResponse(JWKS_PATH, { issuer: ISSUER, externalAddress: 'api.example', keys: [rsa, rsa] })!;
  assert.equal(keys.headers['Content-Type'], JWKS_CONTENT_TYPE);
  assert.equal((JSON.parse(keys.body) as { keys: unknown[] }).keys.length, 1);
  assert.equal(oidcResponse('/openid/v1/other', { issuer: ISSUER, externalAddress: 'a', keys: rsa }), undefined);
});

// ---------------------------------------------------------------------------
// TokenRequest

function trContext(o: Objects, extra: Partial<TokenRequestContext> = {}): TokenRequestContext {
  return { lookup: o.lookup, key: rsa, issuer: ISSUER, now: () => T0 + 250, ...extra };
}

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  assert.fail('expected an ApiError');
}

test('TokenRequest: defaults, response and a token that authenticates', async () => {
  const o = world();
  const res = await handleTokenRequest(trContext(o), { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }, 'ci', 'builder');
  assert.equal(res.status, 201);
  assert.deepEqual(res.warnings, []);
  const status = res.object.status as { token: string; expirationTimestamp: string };
  assert.deepEqual({ ...res.object, status: { ...status, token: '<token>' } }, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: 'builder', namespace: 'ci', uid: 'sa-uid-1', creationTimestamp: '2026-01-15T12:00:00Z' },
    spec: { audiences: [ISSUER], expirationSeconds: 3600 },
    status: { token: '<token>', expirationTimestamp: '2026-01-15T13:00:00Z' },
  });
  const claims = decodeJwt(status.token)!.payload;
  assert.equal(claims.exp, T0S + 3600);
  assert.deepEqual(claims['kubernetes.io'], { namespace: 'ci', serviceaccount: { name: 'builder', uid: 'sa-uid-1' } });
  assert.equal(authenticator(o).authenticateToken(status.token)?.username, 'system:serviceaccount:ci:builder');
  // The key may come from a lazy source.
  const lazy = await handleTokenRequest(trContext(o, { key: async () => rsa }), {}, 'ci', 'builder');
  assert.ok(authenticator(o).authenticateToken((lazy.object.status as { token: string }).token));
});

test('TokenRequest: validation errors are 422 with upstream wording', async () => {
  const o = world();
  let e = await apiError(handleTokenRequest(trContext(o), { spec: { expirationSeconds: 599 } }, 'ci', 'builder'));
  assert.equal(e.code, 422);
  assert.equal(e.reason, 'Invalid');
  assert.equal(e.message, 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes');
  assert.deepEqual(e.details?.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 599: may not specify a duration less than 10 minutes', field: 'spec.expirationSeconds' }]);
  assert.equal(e.details?.group, 'authentication.k8s.io');
  assert.equal(e.details?.kind, 'TokenRequest');

  e = await apiError(handleTokenRequest(trContext(o), { spec: { expirationSeconds: 2 ** 32 + 1 } }, 'ci', 'builder'));
  assert.equal(e.code, 422);
  assert.match(e.message, /spec\.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2\^32 seconds$/);

  e = await apiError(handleTokenRequest(trContext(o), { spec: { expirationSeconds: 0 } }, 'ci', 'builder'));
  assert.equal(e.code, 422);

  e = await apiError(handleTokenRequest(trContext(o), { metadata: { name: 'other' } }, 'ci', 'builder'));
  assert.equal(e.code, 422);
  assert.equal(e.message, 'TokenRequest.authentication.k8s.io "builder" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified');

  e = await apiError(handleTokenRequest(trContext(o), { metadata: { namespace: 'elsewhere' } }, 'ci', 'builder'));
  assert.equal(e.code, 400);

  e = await apiError(handleTokenRequest(trContext(o), { spec: { expirationSeconds: '3600' } }, 'ci', 'builder'));
  assert.equal(e.code, 400);
  e = await apiError(handleTokenRequest(trContext(o), { spec: { audiences: 'api' } }, 'ci', 'builder'));
  assert.equal(e.code, 400);

  e = await apiError(handleTokenRequest(trContext(o), { metadata: { uid: 'not-the-sa' } }, 'ci', 'builder'));
  assert.equal(e.code, 409);
  assert.equal(e.message, 'Operation cannot be fulfilled on TokenRequest.authentication.k8s.io "builder": the UID in the token request (not-the-sa) does not match the UID of the service account (sa-uid-1)');
});

test('TokenRequest: a missing service account or bound object is 404; other binding errors', async () => {
  const o = world();
  let e = await apiError(handleTokenRequest(trContext(o), { spec: { expirationSeconds: 10 } }, 'ci', 'ghost'));
  assert.equal(e.code, 404); // the service account is looked up before validation
  assert.equal(e.message, 'serviceaccounts "ghost" not found');
  assert.deepEqual(e.details, { name: 'ghost', group: '', kind: 'serviceaccounts' });

  e = await apiError(handleTokenRequest(trContext(o), { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'gone' } } }, 'ci', 'builder'));
  assert.equal(e.code, 404);
  assert.equal(e.message, 'pods "gone" not found');
  e = await apiError(handleTokenRequest(trContext(o), { spec: { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'gone' } } }, 'ci', 'builder'));
  assert.equal(e.message, 'secrets "gone" not found');
  e = await apiError(handleTokenRequest(trContext(o), { spec: { boundObjectRef: { kind: 'Node', apiVersion: 'v1', name: 'gone' } } }, 'ci', 'builder'));
  assert.equal(e.message, 'nodes "gone" not found');

  o.put('Pod', { metadata: { name: 'web', namespace: 'ci', uid: 'pod-web' }, spec: { serviceAccountName: 'default' } });
  e = await apiError(handleTokenRequest(trContext(o), { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } } }, 'ci', 'builder'));
  assert.equal(e.code, 400);
  assert.equal(e.message, 'cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.');

  e = await apiError(handleTokenRequest(trContext(o), { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'job-1', uid: 'stale' } } }, 'ci', 'builder'));
  assert.equal(e.code, 409);
  assert.equal(e.message, 'Operation cannot be fulfilled on Pod "job-1": the UID in the bound object reference (stale) does not match the UID in record. The object might have been deleted and then recreated');

  e = await apiError(handleTokenRequest(trContext(o), { spec: { boundObjectRef: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'd' } } }, 'ci', 'builder'));
  assert.equal(e.code, 400);
  assert.equal(e.message, 'cannot bind token to object of type apps/v1, Kind=Deployment');
});

test('TokenRequest: bound tokens, node info, extended expiry and the expiration cap', async () => {
  const o = world();
  // Pod-bound with the kubelet's 3607 s: a year-long token that warns after 3607 s.
  const res = await handleTokenRequest(trContext(o),
    { spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'job-1', uid: 'pod-uid-1' } } }, 'ci', 'builder');
  const status = res.object.status as { token: string; expirationTimestamp: string };
  assert.equal(status.expirationTimestamp, '2026-01-15T13:00:07Z');
  assert.deepEqual(res.object.spec, { audiences: [ISSUER], expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'job-1', uid: 'pod-uid-1' } });
  const claims = decodeJwt(status.token)!.payload;
  assert.equal(claims.exp, T0S + 365 * 24 * 3600);
  assert.deepEqual(claims['kubernetes.io'], {
    namespace: 'ci',
    node: { name: 'node-a', uid: 'node-uid-a' },
    pod: { name: 'job-1', uid: 'pod-uid-1' },
    serviceaccount: { name: 'builder', uid: 'sa-uid-1' },
    warnafter: T0S + 3607,
  });
  const user = authenticator(o).authenticateToken(status.token)!;
  assert.deepEqual(user.extra?.['authentication.kubernetes.io/pod-name'], ['job-1']);

  // Not extended for other audiences, or with extension turned off.
  const other = await handleTokenRequest(trContext(o),
    { spec: { audiences: ['vault'], expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'job-1' } } }, 'ci', 'builder');
  assert.equal(decodeJwt((other.object.status as { token: string }).token)!.payload.exp, T0S + 3607);
  const off = await handleTokenRequest(trContext(o, { extendExpiration: false }),
    { spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'job-1' } } }, 'ci', 'builder');
  assert.equal(decodeJwt((off.object.status as { token: string }).token)!.payload.exp, T0S + 3607);

  // A pod on a node without a Node object: the name alone.
  o.put('Pod', { metadata: { name: 'orphan', namespace: 'ci', uid: 'pod-o' }, spec: { serviceAccountName: 'builder', nodeName: 'node-x' } });
  const orphan = await handleTokenRequest(trContext(o), { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'orphan' } } }, 'ci', 'builder');
  const ok = decodeJwt((orphan.object.status as { token: string }).token)!.payload['kubernetes.io'] as Record<string, unknown>;
  assert.deepEqual(ok.node, { name: 'node-x' });

  // Secret- and Node-bound.
  const sec = await handleTokenRequest(trContext(o), { spec: { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'creds' } } }, 'ci', 'builder');
  assert.deepEqual((decodeJwt((sec.object.status as { token: string }).token)!.payload['kubernetes.io'] as Record<string, unknown>).secret, { name: 'creds', uid: 'secret-uid-1' });
  const node = await handleTokenRequest(trContext(o), { spec: { boundObjectRef: { kind: 'Node', apiVersion: 'v1', name: 'node-a' } } }, 'ci', 'builder');
  assert.ok(authenticator(o).authenticateToken((node.object.status as { token: string }).token));

  // The cap shortens with a warning.
  const capped = await handleTokenRequest(trContext(o, { maxExpirationSeconds: 7200 }), { spec: { expirationSeconds: 86400 } }, 'ci', 'builder');
  assert.deepEqual(capped.warnings, ['requested expiration of 86400 seconds shortened to 7200 seconds']);
  assert.equal((capped.object.spec as { expirationSeconds: number }).expirationSeconds, 7200);
  assert.equal(decodeJwt((capped.object.status as { token: string }).token)!.payload.exp, T0S + 7200);
});

test('a signing key made from a KeyObject', () => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const key = signingKeyFrom(pair.privateKey);
  assert.equal(key.alg, 'ES384');
  const { token } = issueToken({ key, issuer: ISSUER, audiences: [ISSUER], namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid-1' }, now: T0 });
  assert.ok(new ServiceAccountTokenAuthenticator({ issuer: ISSUER, keys: key, lookup: world().lookup, now: () => T0 }).authenticateToken(token));
  assert.throws(() => signingKeyFrom(pair.publicKey), /private key/);
});

test('ECDSA signatures in JWS form (r || s, fixed width) verify for every curve, short and padded integers included', () => {
  for (const [curve, alg, hash, rounds] of [['P-256', 'ES256', 'sha256', 3000], ['P-384', 'ES384', 'sha384', 300], ['P-521', 'ES512', 'sha512', 300]] as const) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    for (let i = 0; i < rounds; i++) {
      const data = Buffer.from(`payload ${i}`);
      const der = sign(hash, data, privateKey);
      const jose = derToJoseSignature(der, alg === 'ES256' ? 32 : alg === 'ES384' ? 48 : 66);
      assert.ok(verify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose), `${alg} signature ${i}`);
    }
  }
});
