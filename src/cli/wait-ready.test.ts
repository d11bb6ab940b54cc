import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { ensurePki } from '../server/pki/pki.ts';
import { clientIdentity } from '../server/pki/client-identity.ts';
import { waitUntilReady } from './wait-ready.ts';

test('waits through failures until /readyz answers 200 to the admin; gives up at the deadline', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-ready-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await ensurePki(dir);
  let calls = 0;
  let readyAfter = 3;
  const server = createServer(
    { cert: pki.servingCert, key: pki.servingKey, ca: pki.clientCACert, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      calls++;
      const admin = clientIdentity(req.socket as TLSSocket)?.username === 'kubevisor-admin';
      res.writeHead(req.url === '/readyz' && admin && calls >= readyAfter ? 200 : 500);
      res.end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { server.close(); });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tls = { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };

  await waitUntilReady(url, tls, 10_000);
  assert.equal(calls, 3);

  readyAfter = Infinity;
  await assert.rejects(waitUntilReady(url, tls, 300), /did not become ready within .*answered 500/);
});
