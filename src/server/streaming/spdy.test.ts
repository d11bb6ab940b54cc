// SPDY/3.1 sessions against each other, port-forward over SPDY and over the
// channel WebSocket protocol, and exec over SPDY with our own client.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import type { KubeObject } from '../../api/types.ts';
import { handlePortForward } from './portforward.ts';
import { handleExec } from './remotecommand.ts';
import {
  decodeHeaderBlock, encodeHeaderBlock, makeHeaders, SETTINGS_INITIAL_WINDOW_SIZE, SPDY3_DICTIONARY, SpdySession, type FrameTransport, type SpdyStream,
} from './spdy.ts';
import { readAll, spdyConnect, TestWsClient, upgradeServer, type HttpRefusal, type UpgradeServer } from './testing.ts';

/** Two sessions joined back to back in memory; `chunk` splits every write into pieces of that size. */
function sessionPair(chunk = 0): { client: SpdySession; server: SpdySession; frames: Buffer[] } {
  const frames: Buffer[] = [];
  let client!: SpdySession;
  let server!: SpdySession;
  const deliver = (to: () => SpdySession, frame: Buffer): void => {
    queueMicrotask(() => {
      if (chunk <= 0) to().receive(frame);
      else for (let i = 0; i < frame.length; i += chunk) to().receive(frame.subarray(i, i + chunk));
    });
  };
  const transport = (to: () => SpdySession, record: boolean): FrameTransport => ({
    write(frame) {
      if (record) frames.push(frame);
      deliver(to, frame);
      return true;
    },
    end() { queueMicrotask(() => { client.transportClosed(); server.transportClosed(); }); },
    destroy() { client.transportClosed(); server.transportClosed(); },
    pause() { /* in memory */ },
    resume() { /* in memory */ },
  });
  client = new SpdySession(transport(() => server, true), { server: false });
  server = new SpdySession(transport(() => client, false), { server: true });
  return { client, server, frames };
}

function nextStream(session: SpdySession): Promise<SpdyStream> {
  return new Promise((resolve) => session.once('stream', resolve));
}

describe('SPDY/3.1 framing', () => {
  it('the dictionary is the 1423 bytes of the spec, so the zlib header carries DICTID e3c6a7c2', async () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    const { client, frames } = sessionPair();
    client.openStream(makeHeaders({ streamtype: 'error' }));
    while (frames.length === 0) await new Promise((r) => setTimeout(r, 5)); // compression is asynchronous
    const syn = frames[0]!;
    assert.equal(syn.readUInt16BE(0), 0x8003); // control frame, version 3
    assert.equal(syn.readUInt16BE(2), 1); // SYN_STREAM
    const block = syn.subarray(8 + 10);
    assert.equal(block.subarray(2, 6).toString('hex'), 'e3c6a7c2');
    assert.deepEqual(decodeHeaderBlock(inflateSync(block, { dictionary: SPDY3_DICTIONARY, finishFlush: 2 })), makeHeaders({ streamtype: 'error' }));
  });

  it('header blocks: several values per name, lower-cased names', () => {
    const h = makeHeaders({ 'X-Stream-Protocol-Version': ['v4.channel.k8s.io', 'v3.channel.k8s.io'], port: '80' });
    const back = decodeHeaderBlock(encodeHeaderBlock(h));
    assert.deepEqual(back.get('x-stream-protocol-version'), ['v4.channel.k8s.io', 'v3.channel.k8s.io']);
    assert.deepEqual(back.get('port'), ['80']);
    assert.throws(() => decodeHeaderBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9])), /truncated/);
  });

  for (const chunk of [0, 1, 7]) {
    it(`streams: headers, reply, data both ways, FIN, RST (delivered in pieces of ${chunk || 'whole frames'})`, async () => {
      const { client, server } = sessionPair(chunk);
      const incoming = nextStream(server);
      const a = client.openStream(makeHeaders({ streamtype: 'data', port: '80', requestid: '0' }));
      const replied = new Promise((resolve) => a.once('response', resolve));
      const s = await incoming;
      assert.equal(s.header('streamType'), 'data');
      assert.equal(s.header('requestID'), '0');
      await replied;
      a.end('ping from client');
      assert.equal(await readAll(s), 'ping from client');
      s.end('pong from server');
      assert.equal(await readAll(a), 'pong from server');
      assert.equal(server.streams.size, 0);
      assert.equal(client.streams.size, 0);

      const incoming2 = nextStream(server);
      const b = client.openStream(makeHeaders({ streamtype: 'data' }));
      const s2 = await incoming2;
      const reset = new Promise<number>((resolve) => s2.once('reset', resolve));
      b.destroy();
      assert.equal(await reset, 5); // CANCEL
      await client.ping();
    });
  }

  it('flow control: enforced once the peer shows it does flow control; a megabyte gets through', async () => {
    const { client, server } = sessionPair();
    client.settings([[SETTINGS_INITIAL_WINDOW_SIZE, 64 * 1024]]);
    const incoming = nextStream(server);
    const a = client.openStream(makeHeaders({ streamtype: 'data' }));
    const s = await incoming;
    assert.equal(server.flowControl, true);
    a.pause();
    const big = Buffer.alloc(1024 * 1024, 7);
    s.end(big);
    // Nothing read: the server sends exactly the 64 KiB window, then waits.
    const deadline = Date.now() + 5_000;
    while (server.sessionSendWindow > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.sessionSendWindow, 0);
    const got = await new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      a.on('data', (c: Buffer) => parts.push(c));
      a.on('end', () => resolve(Buffer.concat(parts)));
      a.resume();
    });
    assert.equal(got.length, big.length);
    a.end();
  });

  it('a corrupt header block ends the session with GOAWAY', async () => {
    const { server } = sessionPair();
    const closed = new Promise((resolve) => server.once('close', resolve));
    const errors: Error[] = [];
    server.on('protocolError', (e: Error) => errors.push(e));
    const bogus = Buffer.alloc(8 + 10 + 6);
    bogus.writeUInt16BE(0x8003, 0);
    bogus.writeUInt16BE(1, 2);
    bogus.writeUInt32BE(16, 4);
    bogus.writeUInt32BE(1, 8);
    bogus.write('garbag', 18);
    server.receive(bogus);
    await closed;
    assert.equal(errors.length, 1);
  });
});

function pod(annotations: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', annotations },
    spec: { containers: [{ name: 'c', image: 'img' }] },
  };
}

describe('port-forward', () => {
  let srv: UpgradeServer;
  let target: Server;
  let echo: TcpServer;
  let targetPort: number;
  let echoPort: number;
  let current: KubeObject;

  before(async () => {
    target = createServer((req, res) => res.end(`target saw ${req.url}`));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetPort = (target.address() as AddressInfo).port;
    echo = createTcpServer((sock) => sock.pipe(sock));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as AddressInfo).port;
    srv = await upgradeServer((req, socket, head) => { void handlePortForward(req, socket, head, current); });
  });
  after(async () => {
    await srv.close();
    await new Promise<void>((r) => target.close(() => r()));
    await new Promise<void>((r) => echo.close(() => r()));
  });

  it('SPDY: a stream pair per connection, data piped both ways, error stream closed empty', async () => {
    current = pod({ 'kubevisor.dev/port-forward-7000': `127.0.0.1:${echoPort}` });
    const { session, response } = await spdyConnect(srv.port, '/portforward', ['portforward.k8s.io']);
    assert.equal(response.headers['x-stream-protocol-version'], 'portforward.k8s.io');
    for (let id = 0; id < 3; id++) {
      const err = session.openStream(makeHeaders({ streamtype: 'error', port: '7000', requestid: String(id) }));
      err.end();
      const data = session.openStream(makeHeaders({ streamtype: 'data', port: '7000', requestid: String(id) }));
      const payload = `round ${id} `.repeat(10_000);
      data.end(payload);
      assert.equal(await readAll(data), payload);
      assert.equal(await readAll(err), '');
    }
    session.close();
  });

  it('SPDY: unconfigured port and refused connection are reported on the error stream', async () => {
    current = pod({ 'kubevisor.dev/port-forward-81': '127.0.0.1:1' });
    const { session } = await spdyConnect(srv.port, '/portforward', ['portforward.k8s.io']);
    const ask = async (port: string): Promise<string> => {
      const err = session.openStream(makeHeaders({ streamtype: 'error', port, requestid: port }));
      err.end();
      const data = session.openStream(makeHeaders({ streamtype: 'data', port, requestid: port }));
      data.resume();
      return readAll(err);
    };
    assert.match(await ask('80'), /^error forwarding port 80 to pod ns\/p, uid u1: pod ns\/p is simulated by kubevisor and nothing listens on its port 80; set the pod annotation kubevisor\.dev\/port-forward-80/);
    assert.match(await ask('81'), /error forwarding port 81 to pod ns\/p, uid u1: cannot reach 127\.0\.0\.1:1: connect ECONNREFUSED/);
    session.close();
  });

  it('SPDY: no common protocol is a 403 listing ours', async () => {
    current = pod({});
    const r = await spdyConnect(srv.port, '/portforward', ['portforward.v2.k8s.io']).catch((e: { refusal: HttpRefusal }) => e.refusal);
    assert.equal((r as HttpRefusal).status, 403);
    assert.equal((r as HttpRefusal).headers['x-accepted-stream-protocol-versions'], 'portforward.k8s.io');
  });

  it('SPDY tunnelled in WebSocket messages', async () => {
    current = pod({ 'kubevisor.dev/port-forward-80': `127.0.0.1:${targetPort}` });
    const ws = await TestWsClient.connect(srv.port, '/portforward', ['SPDY/3.1+portforward.k8s.io']);
    assert.equal(ws.protocol, 'SPDY/3.1+portforward.k8s.io');
    // A client SPDY session whose frames travel as binary WebSocket messages.
    const client = new SpdySession({
      write: (frame) => { ws.sendBinary(frame); return true; },
      end: () => ws.close(),
      destroy: () => ws.socket.destroy(),
      pause: () => ws.socket.pause(),
      resume: () => ws.socket.resume(),
    }, { server: false });
    void (async () => {
      for (;;) {
        const m = await ws.next(30_000).catch(() => undefined);
        if (!m) break;
        if (m.opcode === 2) client.receive(m.data);
      }
      client.transportClosed();
    })();
    const err = client.openStream(makeHeaders({ streamtype: 'error', port: '80', requestid: '0' }));
    err.end();
    const data = client.openStream(makeHeaders({ streamtype: 'data', port: '80', requestid: '0' }));
    data.end('GET /through-ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const reply = await readAll(data);
    assert.match(reply, /^HTTP\/1\.1 200 OK/);
    assert.match(reply, /target saw \/through-ws$/);
    assert.equal(await readAll(err), '');
    client.close();
  });

  it('channel WebSocket protocol (v4.channel.k8s.io, ?ports=)', async () => {
    current = pod({ 'kubevisor.dev/port-forward-9000': `127.0.0.1:${echoPort}` });
    const ws = await TestWsClient.connect(srv.port, '/portforward?ports=9000', ['v4.channel.k8s.io']);
    const portMsg = (ch: number): Buffer => Buffer.from([ch, 0x28, 0x23]); // 9000 little-endian
    assert.deepEqual((await ws.next())?.data, portMsg(0));
    assert.deepEqual((await ws.next())?.data, portMsg(1));
    ws.sendBinary(Buffer.concat([Buffer.from([0]), Buffer.from('echo me')]));
    assert.deepEqual((await ws.next())?.data, Buffer.concat([Buffer.from([0]), Buffer.from('echo me')]));
    ws.close();
    await ws.closed;
  });
});

describe('exec over SPDY with our own client', () => {
  let srv: UpgradeServer;
  before(async () => {
    const current = pod({ 'kubevisor.dev/exec-command': '/bin/sh', 'kubevisor.dev/exec-mode': 'prefix' });
    srv = await upgradeServer((req, socket, head, url) => { void handleExec(req, socket, head, current, url.searchParams, 'exec'); });
  });
  after(() => srv.close());

  async function exec(query: string, protocols: string[], input?: string): Promise<{ protocol: string; stdout: string; stderr: string; error: string }> {
    const { session, response } = await spdyConnect(srv.port, `/exec?${query}`, protocols);
    const open = (type: string): SpdyStream => session.openStream(makeHeaders({ streamtype: type }));
    const error = open('error');
    error.end();
    const stdin = input !== undefined ? open('stdin') : undefined;
    const stdout = open('stdout');
    stdout.end();
    const stderr = open('stderr');
    stderr.end();
    stdin?.end(input);
    const [out, err, status] = await Promise.all([readAll(stdout), readAll(stderr), readAll(error)]);
    session.close();
    return { protocol: String(response.headers['x-stream-protocol-version']), stdout: out, stderr: err, error: status };
  }

  it('v4: exit status as JSON; prefix mode passes the command to the configured program', async () => {
    // prefix mode with /bin/sh: `/bin/sh -c 'echo to-out; echo to-err >&2; exit 7'`.
    const r = await exec('command=-c&command=echo%20to-out%3B%20echo%20to-err%20%3E%262%3B%20exit%207&container=c&stdout=true&stderr=true',
      ['v4.channel.k8s.io', 'v3.channel.k8s.io']);
    assert.equal(r.protocol, 'v4.channel.k8s.io');
    assert.equal(r.stdout, 'to-out\n');
    assert.equal(r.stderr, 'to-err\n');
    assert.equal(JSON.parse(r.error).details.causes[0].message, '7');
  });

  it('v3: failures as plain text, success as an empty error stream; stdin', async () => {
    const ok = await exec('command=-c&command=cat&container=c&stdin=true&stdout=true&stderr=true', ['v3.channel.k8s.io'], 'abc');
    assert.equal(ok.protocol, 'v3.channel.k8s.io');
    assert.equal(ok.stdout, 'abc');
    assert.equal(ok.error, '');
    const bad = await exec('command=-c&command=exit%202&container=c&stdout=true&stderr=true', ['v3.channel.k8s.io']);
    assert.equal(bad.error, 'command terminated with non-zero exit code: exit status 2');
  });
});
