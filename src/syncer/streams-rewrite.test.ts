import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { makeHeaders, SpdySession, type SpdyStream } from '../server/streaming/spdy.ts';
import type { PodPair } from './streams-errors.ts';
import { sessionRewrite, type SessionRewrite } from './streams-rewrite.ts';
import { WsFrameReader, wsFrameHeader, type WsFrame } from './streams-ws-frames.ts';

const pod: PodPair = {
  namespace: 'shop', name: 'web', hostNamespace: 'tenants', hostName: 'web-x-shop-x-dev', uid: 'v-uid', hostUid: 'h-uid',
};
const hostText = 'error forwarding port 80 to pod tenants/web-x-shop-x-dev, uid h-uid: refused in namespace tenants';
const virtualText = 'error forwarding port 80 to pod shop/web, uid v-uid: refused in namespace shop';

function upgraded(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

/** Everything `rewrite` hands the client for `input`, fed in pieces of `step` bytes. */
async function throughRewrite(rewrite: SessionRewrite, input: Buffer, step = input.length): Promise<Buffer> {
  const out: Buffer[] = [];
  rewrite.toClient.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise((resolve) => rewrite.toClient.once('end', resolve));
  for (let i = 0; i < input.length; i += step) {
    if (!rewrite.toClient.write(input.subarray(i, i + step))) await new Promise((r) => rewrite.toClient.once('drain', r));
  }
  rewrite.toClient.end();
  await ended;
  rewrite.close();
  return Buffer.concat(out);
}

/** A server frame (unmasked), or a client frame (masked) with `mask`. */
function wsFrame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: boolean } = {}): Buffer {
  const h = wsFrameHeader(opcode, payload.length);
  if (opts.fin === false) h[0] = h[0]! & 0x7f;
  if (!opts.mask) return Buffer.concat([h, payload]);
  h[1] = h[1]! | 0x80;
  const key = randomBytes(4);
  return Buffer.concat([h, key, Buffer.from(payload.map((b, i) => b ^ key[i & 3]!))]);
}

/** The messages (opcode and payload) in a server's byte stream. */
function wsMessages(bytes: Buffer): { opcode: number; data: Buffer }[] {
  const out: { opcode: number; data: Buffer }[] = [];
  let parts: Buffer[] = [];
  let opcode = 0;
  void new WsFrameReader({
    start: (f: WsFrame) => { if (f.opcode !== 0 && f.opcode < 8) opcode = f.opcode; if (f.opcode >= 8) out.push({ opcode: f.opcode, data: Buffer.alloc(0) }); },
    payload: (f: WsFrame, data: Buffer) => { if (f.opcode < 8) parts.push(data); },
    end: (f: WsFrame) => {
      if (f.opcode >= 8 || !f.fin) return;
      out.push({ opcode, data: Buffer.concat(parts) });
      parts = [];
    },
  }).push(bytes);
  return out;
}

const channel = (ch: number, text: string): Buffer => Buffer.concat([Buffer.from([ch]), Buffer.from(text)]);

test('exec over v5.channel.k8s.io: the status channel is re-worded, output passes untouched, fed whole or byte by byte', async () => {
  const status = JSON.stringify({ metadata: {}, status: 'Failure', message: hostText, reason: 'InternalError' });
  const input = Buffer.concat([
    wsFrame(2, channel(1, `stdout mentions ${pod.hostName} and stays\n`)),
    wsFrame(2, channel(2, hostText)),
    // The status in two fragments, a ping between them.
    wsFrame(2, channel(3, status.slice(0, 40)), { fin: false }),
    wsFrame(9, Buffer.from('ping')),
    wsFrame(0, Buffer.from(status.slice(40))),
    wsFrame(8, Buffer.from([3, 232])),
  ]);
  for (const step of [input.length, 1, 7]) {
    const rewrite = sessionRewrite(upgraded({ upgrade: 'websocket', 'sec-websocket-protocol': 'v5.channel.k8s.io' }), 'exec', pod)!;
    const messages = wsMessages(await throughRewrite(rewrite, input, step));
    assert.deepEqual(messages.map((m) => m.opcode), [2, 2, 9, 2, 8]);
    assert.equal(messages[0]!.data.toString('latin1', 1), `stdout mentions ${pod.hostName} and stays\n`);
    assert.equal(messages[1]!.data.toString('latin1', 1), hostText);
    assert.equal(messages[3]!.data[0], 3);
    assert.deepEqual(JSON.parse(messages[3]!.data.toString('utf8', 1)), { metadata: {}, status: 'Failure', message: virtualText, reason: 'InternalError' });
  }
});

test('output is handed on as it arrives, not held for the rest of its frame', async () => {
  const rewrite = sessionRewrite(upgraded({ upgrade: 'websocket', 'sec-websocket-protocol': 'v5.channel.k8s.io' }), 'exec', pod)!;
  const frame = wsFrame(2, channel(1, 'x'.repeat(100_000)));
  const out: Buffer[] = [];
  rewrite.toClient.on('data', (b: Buffer) => out.push(b));
  rewrite.toClient.write(frame.subarray(0, 1000));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(Buffer.concat(out), frame.subarray(0, 1000));
  rewrite.toClient.end(frame.subarray(1000));
  await new Promise((r) => rewrite.toClient.once('end', r));
  assert.deepEqual(Buffer.concat(out), frame);
});

test('a status without host names passes byte for byte', async () => {
  const input = wsFrame(2, channel(3, '{"metadata":{},"status":"Success"}'));
  const rewrite = sessionRewrite(upgraded({ upgrade: 'websocket', 'sec-websocket-protocol': 'v4.channel.k8s.io' }), 'attach', pod)!;
  assert.deepEqual(await throughRewrite(rewrite, input), input);
});

test('base64 channels: the error channel is decoded, re-worded and encoded again', async () => {
  const b64 = (ch: number, text: string): Buffer => Buffer.from(String(ch) + Buffer.from(text).toString('base64'));
  const rewrite = sessionRewrite(upgraded({ upgrade: 'websocket', 'sec-websocket-protocol': 'v4.base64.channel.k8s.io' }), 'exec', pod)!;
  const out = wsMessages(await throughRewrite(rewrite, Buffer.concat([wsFrame(1, b64(1, hostText)), wsFrame(1, b64(3, hostText))])));
  assert.equal(Buffer.from(out[0]!.data.toString('latin1', 1), 'base64').toString(), hostText);
  assert.equal(out[1]!.data.toString('latin1', 0, 1), '3');
  assert.equal(Buffer.from(out[1]!.data.toString('latin1', 1), 'base64').toString(), virtualText);
});

test('port-forward over channels: odd (error) channels are re-worded, data channels are not', async () => {
  const port = Buffer.from([80, 0]);
  const input = Buffer.concat([
    wsFrame(2, Buffer.concat([Buffer.from([0]), port])), wsFrame(2, Buffer.concat([Buffer.from([1]), port])),
    wsFrame(2, channel(0, hostText)), wsFrame(2, channel(1, hostText)), wsFrame(2, channel(3, hostText)),
  ]);
  const rewrite = sessionRewrite(upgraded({ upgrade: 'websocket', 'sec-websocket-protocol': 'v4.channel.k8s.io' }), 'portforward', pod)!;
  const out = wsMessages(await throughRewrite(rewrite, input, 5)).map((m) => m.data.subarray(1).toString('latin1'));
  assert.deepEqual(out, [port.toString('latin1'), port.toString('latin1'), hostText, virtualText, virtualText]);
});

/**
 * A SPDY client and server joined through `rewrite` (the server's frames to
 * the client rewritten, the client's watched); `tunnel` wraps both directions
 * in WebSocket messages as kubectl 1.31+ port-forward does.
 */
function spdyThrough(rewrite: SessionRewrite, tunnel: boolean): { client: SpdySession; server: SpdySession } {
  const transport = (send: (frame: Buffer) => void) => ({
    write: (frame: Buffer) => { send(frame); return true; }, end: () => {}, destroy: () => {}, pause: () => {}, resume: () => {},
  });
  let server: SpdySession | undefined;
  const client = new SpdySession(transport((frame) => {
    rewrite.watchClient!(tunnel ? wsFrame(2, frame, { mask: true }) : frame);
    server!.receive(frame);
  }), { server: false });
  server = new SpdySession(transport((frame) => {
    // Split each frame across two messages: a tunnel's messages need not follow frames.
    const parts = tunnel ? [wsFrame(2, frame.subarray(0, 5)), wsFrame(2, frame.subarray(5))] : [frame];
    for (const p of parts) rewrite.toClient.write(p);
  }), { server: true });
  const unwrap = new WsFrameReader({ start: () => {}, payload: (_f, data) => client.receive(data), end: () => {} });
  rewrite.toClient.on('data', (b: Buffer) => {
    if (tunnel) void unwrap.push(b);
    else client.receive(b);
  });
  return { client, server };
}

function read(stream: SpdyStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => { text += c.toString(); });
    stream.once('end', () => resolve(text));
  });
}

for (const tunnel of [false, true]) {
  test(`SPDY${tunnel ? ' tunnelled in WebSocket' : ''}: the data of error streams is re-worded, other streams' is not`, async () => {
    const headers: Record<string, string> = tunnel
      ? { upgrade: 'websocket', 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' }
      : { upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' };
    const rewrite = sessionRewrite(upgraded(headers), 'portforward', pod)!;
    const { client, server } = spdyThrough(rewrite, tunnel);
    const opened = new Map<string, SpdyStream>();
    const all = new Promise<void>((resolve) => server.on('stream', (s: SpdyStream) => {
      opened.set(`${s.header('streamtype')}${s.header('requestid')}`, s);
      if (opened.size === 4) resolve();
    }));
    const mine = ['0', '1'].flatMap((id) => ['error', 'data'].map((type) => [`${type}${id}`,
      client.openStream(makeHeaders({ streamtype: type, port: '80', requestid: id }))] as const));
    await all;
    const texts = Promise.all(mine.map(([, s]) => read(s)));
    for (const [key, s] of opened) {
      s.write(hostText);
      s.end(` (${key})`);
    }
    for (const [, s] of mine) s.end();
    assert.deepEqual(await texts, [`${virtualText} (error0)`, `${hostText} (data0)`, `${virtualText} (error1)`, `${hostText} (data1)`]);
    client.destroy();
    server.destroy();
    rewrite.close();
  });
}
