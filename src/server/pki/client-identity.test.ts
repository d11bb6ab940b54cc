import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { issueCertificate, newKeyPair, privateKeyPem, type Signer } from './certificate.ts';
import { clientIdentity } from './client-identity.ts';
import { ensurePki, type Pki } from './pki.ts';

interface Reply {
  status: number;
  body: string;
}

/** The usual pattern: ask for a certificate, accept the connection either way, decide per request. */
async function startWhoamiServer(pki: Pki): Promise<Server> {
  const server = createServer(
    {
      cert: pki.servingCert,
      key: pki.servingKey,
      ca: pki.clientCACert,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const identity = clientIdentity(req.socket as TLSSocket);
      res.writeHead(identity ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(identity ?? { reason: 'Unauthorized' }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function get(server: Server, pki: Pki, client: { cert?: string; key?: string }): Promise<Reply> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/whoami', ca: pki.caCert, agent: false, ...client },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => { body += chunk; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function clientCert(signer: Signer, subject: { commonName: string; organizations?: string[] }, usage: 'clientAuth' | 'serverAuth' = 'clientAuth') {
  const keys = newKeyPair();
  const now = Date.now();
  const cert = issueCertificate(
    {
      subject,
      publicKey: keys.publicKey,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3600_000),
      extendedKeyUsages: [usage],
    },
    signer,
  );
  return { cert, key: privateKeyPem(keys.privateKey) };
}

/** Sign as one of the CAs stored under pki.dir (`ca` or `client-ca`). */
function storedSigner(pki: Pki, base: 'ca' | 'client-ca'): Signer {
  const privateKey = createPrivateKey(readFileSync(join(pki.dir, `${base}.key`)));
  const cert = new X509Certificate(readFileSync(join(pki.dir, `${base}.crt`)));
  return { name: { commonName: cert.subject.replace(/^CN=/, '') }, privateKey, publicKey: createPublicKey(privateKey) };
}

/** An unrelated CA: a key pair and a name are all signing takes. */
function foreignSigner(): Signer {
  return { name: { commonName: 'some-other-ca' }, ...newKeyPair() };
}

test('client certificates over real TLS', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kubevisor-identity-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const pki = await ensurePki(dataDir);
  const server = await startWhoamiServer(pki);
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  await t.test('the admin certificate is accepted as kubevisor-admin in system:masters', async () => {
    const reply = await get(server, pki, { cert: pki.adminCert, key: pki.adminKey });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), { username: 'kubevisor-admin', groups: ['system:masters'] });
  });

  await t.test('several O values become several groups, in order', async () => {
    const signer = storedSigner(pki, 'client-ca');
    const reply = await get(server, pki, clientCert(signer, { commonName: 'jane', organizations: ['dev', 'ops', 'system:authenticated'] }));
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), { username: 'jane', groups: ['dev', 'ops', 'system:authenticated'] });

    const noGroups = await get(server, pki, clientCert(signer, { commonName: 'solo' }));
    assert.deepEqual(JSON.parse(noGroups.body), { username: 'solo', groups: [] });

    // Signed by the right CA but not meant for client authentication.
    const serverOnly = await get(server, pki, clientCert(signer, { commonName: 'mallory' }, 'serverAuth'));
    assert.equal(serverOnly.status, 401);
  });

  await t.test('a certificate from another CA is refused', async () => {
    const reply = await get(server, pki, clientCert(foreignSigner(), { commonName: 'kubevisor-admin', organizations: ['system:masters'] }));
    assert.equal(reply.status, 401);
  });

  await t.test('the serving CA does not vouch for clients', async () => {
    const reply = await get(server, pki, clientCert(storedSigner(pki, 'ca'), { commonName: 'kubevisor-admin', organizations: ['system:masters'] }));
    assert.equal(reply.status, 401);
  });

  await t.test('no certificate gets a 401, not a TLS failure', async () => {
    const reply = await get(server, pki, {});
    assert.equal(reply.status, 401);
    assert.match(reply.body, /Unauthorized/);
  });
});
