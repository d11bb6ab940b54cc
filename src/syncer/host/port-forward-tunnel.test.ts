// The port-forward tunnel against a fake host speaking the kubelet's channel
// protocol: the upgrade it asks for, data both ways (fragmented messages, a
// ping in between, a large write), the close both ways, and the failures (an
// error-channel message before and after the dial, a refused upgrade, a
// dropped connection, a dial given up).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ServiceDialError } from '../../server/service-dial.ts';
import { acceptWebSocket, frameHeader, type WebSocket } from '../../server/streaming/websocket.ts';
import { HostConnection } from './connection.ts';
import { openPortForwardTunnel, PORT_FORWARD_CHANNEL_PROTOCOL } from './port-forward-tunnel.ts';

let server: Server;
let conn: HostConnection;
const seen: Array<{ url: string; auth: string | undefined; protocol: string | undefined }> = [];
/** Pongs the host got (answers to its pings). */
const pongs: string[] = [];
/** Sockets the host saw closed, by pod. */
const closed = new Map<string, Promise<void>>();

const portBytes = (port: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16LE(port); return b; };
const raw = (fin: boolean, opcode: number, payload: Buffer): Buffer => {
  const h = frameHeader(opcode, payload.length);
  if (!fin) h[0] = h[0]! & 0x7f;
  return Buffer.concat([h, payload]);
};

function serve(pod: string, ws: WebSocket, socket: Duplex, port: number): void {
  const send = (ch: number, payload: Buffer | string) => ws.send(Buffer.concat([Buffer.from([ch]), Buffer.from(payload)]));
  if (pod === 'slow') return; // never starts forwarding
  send(0, portBytes(port));
  send(1, portBytes(port));
  if (pod === 'refused') {
    send(1, `error forwarding port ${port} to pod host-ns/refused-x-default-x-vc, uid host-uid: dial tcp4 127.0.0.1:${port}: connect: connection refused`);
    ws.close(1000);
    return;
  }
  if (pod === 'hello') {
    send(0, 'hello');
    ws.close(1000);
    return;
  }
  ws.on('message', (msg: Buffer) => {
    assert.equal(msg[0], 0, 'the client writes on the data channel');
    const data = msg.subarray(1);
    if (pod === 'later') { send(1, 'an error naming host-ns/later-x-default-x-vc'); return; }
    if (pod === 'drop') { socket.destroy(); return; }
    if (pod === 'fragments') {
      // One message in three frames with a ping between them; the channel byte only in the first.
      const text = Buffer.from(`echo:${data.toString()}`);
      socket.write(raw(false, 0x2, Buffer.concat([Buffer.from([0]), text.subarray(0, 3)])));
      socket.write(raw(true, 0x9, Buffer.from('are you there')));
      socket.write(raw(false, 0x0, text.subarray(3, 6)));
      socket.write(raw(true, 0x0, text.subarray(6)));
      return;
    }
    send(0, Buffer.concat([Buffer.from('echo:'), data]));
  });
}

before(async () => {
  server = createServer((_req, res) => { res.writeHead(404); res.end(); });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    seen.unshift({ url: req.url ?? '', auth: req.headers.authorization, protocol: req.headers['sec-websocket-protocol'] as string | undefined });
    const url = new URL(req.url ?? '/', 'http://host');
    const pod = /\/pods\/([^/]+)\/portforward$/.exec(url.pathname)?.[1] ?? '';
    closed.set(pod, new Promise((resolve) => socket.once('close', () => resolve())));
    if (pod === 'forbidden') {
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 403, reason: 'Forbidden',
        message: 'pods "forbidden-x-default-x-vc" is forbidden: User "syncer" cannot create resource "pods/portforward" in the namespace "host-ns"' });
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const ws = acceptWebSocket(req, socket, head, PORT_FORWARD_CHANNEL_PROTOCOL);
    if (!ws) return;
    ws.on('pong', (d: Buffer) => pongs.push(d.toString()));
    serve(pod, ws, socket, Number(url.searchParams.get('ports')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  conn = await HostConnection.connect({ text: JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'h', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 'host-token' } }],
    contexts: [{ name: 'c', context: { cluster: 'h', user: 'u' } }],
  }) });
});

after(() => {
  conn?.close();
  server?.close();
});

const reword = (t: string) => t.replaceAll('host-ns/', 'default/').replace(/(\w+)-x-default-x-vc/g, '$1').replaceAll('host-uid', 'virtual-uid');

/** Read until `n` bytes came, or the stream ended. */
function read(s: Duplex, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const done = () => { s.off('data', onData); s.off('end', done); s.off('error', reject); resolve(Buffer.concat(chunks).toString()); };
    const onData = (c: Buffer) => { chunks.push(c); got += c.length; if (got >= n) done(); };
    s.on('data', onData);
    s.once('end', done);
    s.once('error', reject);
  });
}

/** The stream's end (rejects with its error); it may have ended already. */
function ended(s: Duplex): Promise<void> {
  s.resume();
  return finished(s);
}

async function dialFailure(pod: string, signal?: AbortSignal): Promise<ServiceDialError> {
  try {
    const s = await openPortForwardTunnel(conn, 'host-ns', pod, 8443, { reword, signal, refusal: (e) => `refused: ${(e as Error).message}` });
    s.destroy();
  } catch (e) {
    assert.ok(e instanceof ServiceDialError, String(e));
    return e;
  }
  assert.fail(`the dial to ${pod} succeeded`);
}

test('the upgrade: the pod\'s portforward, the port, the channel protocol, the host credentials', async () => {
  const s = await openPortForwardTunnel(conn, 'host-ns', 'echo', 8443);
  s.destroy();
  assert.deepEqual(seen[0], { url: '/api/v1/namespaces/host-ns/pods/echo/portforward?ports=8443', auth: 'Bearer host-token', protocol: 'v4.channel.k8s.io' });
});

test('data both ways; ending the writable side closes the tunnel, and what the pod sent before still arrives', async () => {
  const s = await openPortForwardTunnel(conn, 'host-ns', 'echo', 8443);
  s.write('one');
  assert.equal(await read(s, 8), 'echo:one');
  // A large write: long frame lengths, masking across many chunks.
  const big = Buffer.alloc(3 << 20, 'abcdefghij');
  s.write(big);
  assert.equal(await read(s, big.length + 5), `echo:${big.toString()}`);
  s.end('bye');
  assert.equal(await read(s, 100), 'echo:bye');
  await ended(s);
  await closed.get('echo');
});

test('fragmented messages and pings from the host', async () => {
  const s = await openPortForwardTunnel(conn, 'host-ns', 'fragments', 8443);
  s.write('fragmented');
  assert.equal(await read(s, 15), 'echo:fragmented');
  for (let i = 0; i < 100 && pongs.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(pongs, ['are you there']);
  s.end();
  await ended(s);
});

test('the host closing the tunnel ends the stream', async () => {
  const s = await openPortForwardTunnel(conn, 'host-ns', 'hello', 8443);
  assert.equal(await read(s, 100), 'hello');
  await ended(s);
});

test('an error-channel message fails the dial, or later the stream, with the text re-worded', async () => {
  const refused = await dialFailure('refused');
  assert.equal(refused.stage, 'dial');
  assert.equal(refused.message, 'error forwarding port 8443 to pod default/refused, uid virtual-uid: dial tcp4 127.0.0.1:8443: connect: connection refused');

  const s = await openPortForwardTunnel(conn, 'host-ns', 'later', 8443, { reword });
  s.write('x');
  const e = await ended(s).then(() => undefined, (err: unknown) => err);
  assert.ok(e instanceof ServiceDialError && e.stage === 'dial', String(e));
  assert.equal(e.message, 'an error naming default/later');
  await closed.get('later');
});

test('a refused upgrade, a dropped connection, a dial given up', async () => {
  const forbidden = await dialFailure('forbidden');
  assert.match(forbidden.message, /^refused: pods "forbidden-x-default-x-vc" is forbidden/);

  const s = await openPortForwardTunnel(conn, 'host-ns', 'drop', 8443);
  s.write('x');
  const e = await ended(s).then(() => undefined, (err: unknown) => err);
  assert.ok(e instanceof ServiceDialError, String(e));
  assert.equal(e.message, 'lost connection to pod');

  const slow = await dialFailure('slow', AbortSignal.timeout(200));
  assert.equal(slow.message, 'context deadline exceeded');
  await closed.get('slow');
  const aborted = new AbortController();
  aborted.abort();
  assert.equal((await dialFailure('echo', aborted.signal)).message, 'context canceled');
});
