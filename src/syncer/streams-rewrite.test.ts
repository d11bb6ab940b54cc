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

// --- error text split across frames and messages, the host's close frames ---------------------

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The SYN_STREAMs a client sends to open streams of `types` (ids 1, 3, 5, ...). */
async function clientOpens(types: string[]): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  const client = new SpdySession({
    write: (frame: Buffer) => { frames.push(frame); return true; }, end: () => {}, destroy: () => {}, pause: () => {}, resume: () => {},
  }, { server: false });
  for (const type of types) client.openStream(makeHeaders({ streamtype: type, port: '80', requestid: '0' }));
  while (frames.length < types.length) await tick();
  return frames.slice(0, types.length);
}

function spdyData(id: number, payload: string | Buffer, fin = false): Buffer {
  const p = Buffer.from(payload);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id & 0x7fffffff, 0);
  h.writeUInt32BE((((fin ? 1 : 0) << 24) | p.length) >>> 0, 4);
  return Buffer.concat([h, p]);
}

/** The host resetting stream `id` (CANCEL), as the kubelet does to every stream when an exec ends. */
function spdyRst(id: number): Buffer {
  const f = Buffer.alloc(16);
  f.writeUInt16BE(0x8003, 0);
  f.writeUInt16BE(3, 2);
  f.writeUInt32BE(8, 4);
  f.writeUInt32BE(id, 8);
  f.writeUInt32BE(5, 12);
  return f;
}

interface SpdyFrame { readonly control: number | undefined; readonly id: number; readonly fin: boolean; readonly payload: Buffer }

/** The frames in a SPDY byte stream: control frames by type, DATA frames by stream. */
function spdyFrames(bytes: Buffer): SpdyFrame[] {
  const out: SpdyFrame[] = [];
  for (let at = 0; at + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(at + 4) & 0xffffff;
    const control = (bytes[at]! & 0x80) !== 0;
    const payload = bytes.subarray(at + 8, at + 8 + length);
    out.push({
      control: control ? bytes.readUInt16BE(at + 2) : undefined,
      id: control ? (payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0) : bytes.readUInt32BE(at) & 0x7fffffff,
      fin: (bytes[at + 4]! & 1) !== 0,
      payload,
    });
    at += 8 + length;
  }
  return out;
}

/** The DATA of stream `id`, joined. */
const dataOf = (frames: SpdyFrame[], id: number): string =>
  Buffer.concat(frames.filter((f) => f.control === undefined && f.id === id).map((f) => f.payload)).toString();

const spdyHeaders = { upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' };
const tunnelHeaders = { upgrade: 'websocket', 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' };

/**
 * `host` (SPDY frames, and for a tunnel WebSocket close payloads) through a
 * session's rewrite, once the client opened streams of `types`: the SPDY
 * frames the client gets, and (tunnel) the payloads of the close frames.
 */
async function spdySession(tunnel: boolean, types: string[], host: (Buffer | { close: Buffer })[], step: number): Promise<{ frames: SpdyFrame[]; closes: Buffer[]; order: string[] }> {
  const rewrite = sessionRewrite(upgraded(tunnel ? tunnelHeaders : spdyHeaders), 'portforward', pod)!;
  for (const syn of await clientOpens(types)) rewrite.watchClient!(tunnel ? wsFrame(2, syn, { mask: true }) : syn);
  // A tunnel's messages need not follow frames: the host's bytes are cut into messages of 7 bytes.
  const parts = host.map((h) => {
    if (!Buffer.isBuffer(h)) return wsFrame(8, h.close);
    if (!tunnel) return h;
    const msgs: Buffer[] = [];
    for (let i = 0; i < h.length; i += 7) msgs.push(wsFrame(2, h.subarray(i, i + 7)));
    return Buffer.concat(msgs);
  });
  const out = await throughRewrite(rewrite, Buffer.concat(parts), step);
  if (!tunnel) return { frames: spdyFrames(out), closes: [], order: spdyFrames(out).map((f) => f.control === undefined ? `data${f.id}` : `control${f.control}`) };
  const spdy: Buffer[] = [];
  const closes: Buffer[] = [];
  const order: string[] = [];
  let close: Buffer[] = [];
  await new WsFrameReader({
    start: () => { close = []; },
    payload: (f, data) => { if (f.opcode === 8) close.push(data); else { spdy.push(data); order.push('spdy'); } },
    end: (f) => { if (f.opcode === 8) { closes.push(Buffer.concat(close)); order.push('close'); } },
  }).push(out);
  return { frames: spdyFrames(Buffer.concat(spdy)), closes, order };
}

const closePayload = (code: number, reason: string): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason)]);
};

// The host name cut across two frames of the error stream.
const cut = hostText.indexOf('web-x-shop') + 5;

for (const tunnel of [false, true]) {
  const variant = tunnel ? 'SPDY tunnelled in WebSocket' : 'SPDY';
  test(`${variant}: a host name split across DATA frames of an error stream is re-worded; other streams pass as they come`, async () => {
    const host = [spdyData(1, hostText.slice(0, cut)), spdyData(3, hostText), spdyData(1, hostText.slice(cut)), spdyData(1, '', true)];
    for (const step of [100_000, 1, 5]) {
      const { frames } = await spdySession(tunnel, ['error', 'data'], host, step);
      assert.equal(dataOf(frames, 1), virtualText, `step ${step}`);
      assert.equal(dataOf(frames, 3), hostText);
      assert.ok(frames.filter((f) => f.id === 1).at(-1)!.fin, 'the error stream still ends');
    }
  });

  test(`${variant}: the host resetting the error stream (no FIN) sends what it held, re-worded, before the reset`, async () => {
    const { frames } = await spdySession(tunnel, ['error'], [spdyData(1, hostText.slice(0, cut)), spdyData(1, hostText.slice(cut)), spdyRst(1)], 3);
    assert.equal(dataOf(frames, 1), virtualText);
    assert.deepEqual(frames.map((f) => f.control ?? 'data'), ['data', 3]);
  });

  test(`${variant}: the host's bytes ending mid-stream send what is held, re-worded`, async () => {
    const { frames } = await spdySession(tunnel, ['error'], [spdyData(1, hostText.slice(0, cut)), spdyData(1, hostText.slice(cut))], 4);
    assert.equal(dataOf(frames, 1), virtualText);
  });

  test(`${variant}: error data without host names passes as the same frames`, async () => {
    const host = [spdyData(1, '{"status":'), spdyData(1, '"Success"}'), spdyData(1, '', true)];
    const { frames } = await spdySession(tunnel, ['error'], host, 1);
    assert.deepEqual(frames.map((f) => [f.id, f.fin, f.payload.toString()]), [[1, false, '{"status":'], [1, false, '"Success"}'], [1, true, '']]);
  });
}

test('SPDY tunnelled in WebSocket: the host\'s close frame comes after what was held, its reason re-worded', async () => {
  const { frames, closes, order } = await spdySession(true, ['error'], [
    spdyData(1, hostText.slice(0, cut)), spdyData(1, hostText.slice(cut)), { close: closePayload(1011, 'pod tenants/web-x-shop-x-dev is gone') },
  ], 6);
  assert.equal(dataOf(frames, 1), virtualText);
  assert.equal(order.at(-1), 'close');
  assert.equal(closes.length, 1);
  assert.equal(closes[0]!.readUInt16BE(0), 1011);
  assert.equal(closes[0]!.toString('utf8', 2), 'pod shop/web is gone');
});

for (const base64 of [false, true]) {
  const protocol = base64 ? 'v4.base64.channel.k8s.io' : 'v5.channel.k8s.io';
  const message = (ch: number, text: string): Buffer => base64
    ? wsFrame(1, Buffer.from(String(ch) + Buffer.from(text).toString('base64')))
    : wsFrame(2, channel(ch, text));
  const body = (m: { data: Buffer }): string => base64 ? Buffer.from(m.data.toString('latin1', 1), 'base64').toString() : m.data.toString('utf8', 1);

  test(`exec over ${protocol}: a status split across messages is gathered, re-worded as one before the close, whose reason is re-worded`, async () => {
    const status = JSON.stringify({ metadata: {}, status: 'Failure', message: hostText, reason: 'InternalError' });
    const split = status.indexOf('web-x-shop') + 4;
    const input = Buffer.concat([
      message(3, status.slice(0, split)),
      message(1, `stdout about ${pod.hostName}\n`),
      wsFrame(9, Buffer.from('ping')),
      message(3, status.slice(split)),
      wsFrame(8, closePayload(1000, `done with ${pod.hostNamespace}/${pod.hostName}`)),
    ]);
    for (const step of [input.length, 1, 7]) {
      const rewrite = sessionRewrite(upgraded({ upgrade: 'websocket', 'sec-websocket-protocol': protocol }), 'exec', pod)!;
      const out = wsMessages(await throughRewrite(rewrite, input, step));
      assert.deepEqual(out.map((m) => m.opcode), [base64 ? 1 : 2, 9, base64 ? 1 : 2, 8], `step ${step}`);
      assert.equal(body(out[0]!), `stdout about ${pod.hostName}\n`);
      assert.deepEqual(JSON.parse(body(out[2]!)), { metadata: {}, status: 'Failure', message: virtualText, reason: 'InternalError' });
    }
    // The close frame's payload, read apart (wsMessages keeps none).
    const rewrite = sessionRewrite(upgraded({ upgrade: 'websocket', 'sec-websocket-protocol': protocol }), 'exec', pod)!;
    const bytes = await throughRewrite(rewrite, input);
    const close = bytes.subarray(bytes.lastIndexOf(Buffer.from([0x88])));
    assert.equal(close.readUInt16BE(2), 1000);
    assert.equal(close.toString('utf8', 4), 'done with shop/web');
    assert.equal(close[1], close.length - 2);
  });

  test(`exec over ${protocol}: a status gathered when the host's bytes end without a close goes out re-worded`, async () => {
    const rewrite = sessionRewrite(upgraded({ upgrade: 'websocket', 'sec-websocket-protocol': protocol }), 'attach', pod)!;
    const out = wsMessages(await throughRewrite(rewrite, Buffer.concat([message(3, hostText.slice(0, cut)), message(3, hostText.slice(cut))]), 3));
    assert.equal(out.length, 1);
    assert.equal(body(out[0]!), virtualText);
  });
}

test('exec: status messages without host names, and a close without them, pass byte for byte', async () => {
  const input = Buffer.concat([wsFrame(2, channel(3, '{"metadata":{},')), wsFrame(2, channel(3, '"status":"Success"}')), wsFrame(8, closePayload(1000, 'bye'))]);
  const rewrite = sessionRewrite(upgraded({ upgrade: 'websocket', 'sec-websocket-protocol': 'v5.channel.k8s.io' }), 'exec', pod)!;
  assert.deepEqual(await throughRewrite(rewrite, input, 2), input);
});

test('port-forward over channels: each error message goes out as it ends (not held to the close); the close reason is re-worded', async () => {
  const rewrite = sessionRewrite(upgraded({ upgrade: 'websocket', 'sec-websocket-protocol': 'v4.channel.k8s.io' }), 'portforward', pod)!;
  const out: Buffer[] = [];
  rewrite.toClient.on('data', (b: Buffer) => out.push(b));
  rewrite.toClient.write(wsFrame(2, channel(1, hostText)));
  await tick();
  assert.equal(wsMessages(Buffer.concat(out))[0]?.data.toString('latin1', 1), virtualText);
  const ended = new Promise((r) => rewrite.toClient.once('end', r));
  rewrite.toClient.end(wsFrame(8, closePayload(1001, `pod ${pod.hostName} going away`)));
  await ended;
  const bytes = Buffer.concat(out);
  const close = bytes.subarray(bytes.lastIndexOf(Buffer.from([0x88])));
  assert.equal(close.readUInt16BE(2), 1001);
  assert.equal(close.toString('utf8', 4), 'pod web going away');
});

test('SPDY: an error stream longer than what is held still goes out whole and in order, re-worded where a name is whole', async () => {
  const piece = (i: number): string => `${i}:${hostText}|${'x'.repeat(20_000)}`;
  const host = [0, 1, 2, 3].map((i) => spdyData(1, piece(i), i === 3));
  const { frames } = await spdySession(false, ['error'], host, 4096);
  assert.equal(dataOf(frames, 1), [0, 1, 2, 3].map((i) => piece(i).replace(hostText, virtualText)).join(''));
  assert.ok(frames.every((f) => f.payload.length <= 32 * 1024 + 8), 'nothing over what is held');
  assert.ok(frames.at(-1)!.fin);
});

// --- an exec cut before its status (old kubectl reads an empty error stream as success) ---------

/** An exec session over SPDY (channel protocol `protocol`): the client opens its streams, the host writes `host`, then its bytes end. */
async function spdyExec(protocol: string, host: Buffer[]): Promise<SpdyFrame[]> {
  const rewrite = sessionRewrite(upgraded({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': protocol }), 'exec', pod)!;
  for (const syn of await clientOpens(['error', 'stdout'])) rewrite.watchClient!(syn);
  return spdyFrames(await throughRewrite(rewrite, Buffer.concat(host)));
}

test('SPDY exec (v4) cut before its status: the error stream gets a Failure status and ends', async () => {
  assert.equal(sessionRewrite(upgraded({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' }), 'exec', pod)!.endsWithStatus, true);
  const frames = await spdyExec('v4.channel.k8s.io', [spdyData(3, 'partial output\n')]);
  assert.equal(dataOf(frames, 3), 'partial output\n');
  const status = JSON.parse(dataOf(frames, 1));
  assert.equal(status.status, 'Failure');
  assert.match(status.message, /connection to the container was lost/);
  assert.ok(frames.filter((f) => f.id === 1).at(-1)!.fin, 'and the error stream ends');
});

test('SPDY exec: a session the host ended with its status, an older protocol, or a port-forward gets nothing added', async () => {
  const success = '{"metadata":{},"status":"Success"}';
  // The host wrote its status (then reset the streams, as the kubelet does).
  const ended = await spdyExec('v4.channel.k8s.io', [spdyData(1, success, true), spdyRst(3)]);
  assert.equal(dataOf(ended, 1), success);
  assert.equal(ended.filter((f) => f.id === 1 && f.control === undefined).length, 1);
  // The status sent without a FIN, the connection then closed: still nothing added.
  assert.equal(dataOf(await spdyExec('v4.channel.k8s.io', [spdyData(1, success)]), 1), success);
  // v3 and older: an empty error stream means success.
  assert.equal(dataOf(await spdyExec('v3.channel.k8s.io', [spdyData(3, 'out')]), 1), '');
  assert.equal(sessionRewrite(upgraded({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' }), 'portforward', pod)!.endsWithStatus, false);
});
