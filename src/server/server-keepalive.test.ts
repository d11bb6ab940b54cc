// A request that arrives on a kept-alive TLS connection while the previous
// response is still draining is served, not dropped (Node's HPE_PAUSED).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ensurePki } from './pki/pki.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRequestsThroughEvents } from './server.ts';

const big = Buffer.alloc(4_000_000, 'x');

/** Sends GET /big, stops reading once it starts, sends a POST with a body, reads on: what became of the POST. */
async function pipelinedAfterLargeResponse(server: Server): Promise<'answered' | 'dropped'> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      const sock = connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
        sock.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
        let got = 0, sent = false, tail = '';
        sock.on('data', (d: Buffer) => {
          got += d.length;
          tail = (tail + d.toString('latin1')).slice(-200);
          if (!sent && got > 1000) {
            sent = true;
            sock.pause();
            const body = Buffer.alloc(200_000, 'y');
            sock.write(`POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
            sock.write(body);
            setTimeout(() => sock.resume(), 300);
          }
          if (/\r\n\r\nok$/.test(tail)) { sock.destroy(); resolve('answered'); }
        });
        sock.on('error', () => undefined);
        sock.on('close', () => resolve('dropped'));
      });
    });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('a request after a large response on the same TLS connection is answered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-keepalive-'));
  try {
    const pki = await ensurePki(dir);
    const make = () => createServer({ cert: pki.servingCert, key: pki.servingKey }, (req, res) => {
      req.on('error', () => undefined);
      req.resume();
      req.on('end', () => {
        const body = req.url === '/big' ? big : Buffer.from('ok');
        res.writeHead(200, { 'Content-Length': body.length });
        res.end(body);
      });
    });
    const fixed = make();
    readRequestsThroughEvents(fixed);
    // (Without readRequestsThroughEvents, Node 24 drops this connection: 'dropped'.)
    assert.equal(await pipelinedAfterLargeResponse(fixed), 'answered');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
