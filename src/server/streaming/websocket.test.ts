// WebSocket framing (RFC 6455) and exec/attach over the channel protocols,
// with a client that can also misbehave.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../api/types.ts';
import { handleExec, statusFor } from './remotecommand.ts';
import { TestWsClient, upgradeServer, type HttpRefusal, type UpgradeServer, type WsMessage } from './testing.ts';
import { acceptKey, acceptWebSocket, type WebSocket } from './websocket.ts';

describe('websocket framing', () => {
  let srv: UpgradeServer;
  const sockets: WebSocket[] = [];

  before(async () => {
    srv = await upgradeServer((req, socket, head) => {
      const ws = acceptWebSocket(req, socket, head, 'echo');
      if (!ws) return;
      sockets.push(ws);
      ws.on('message', (data: Buffer, binary: boolean) => {
        if (!binary && data.toString() === 'close please') ws.close(4000, 'asked');
        else ws.send(binary ? data : data.toString());
      });
    });
  });
  after(() => srv.close());

  it('computes Sec-WebSocket-Accept as RFC 6455 section 1.3 shows', () => {
    assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('echoes text and binary messages of every length encoding', async () => {
    const c = await TestWsClient.connect(srv.port, '/', ['echo']);
    assert.equal(c.protocol, 'echo');
    assert.equal(c.response.headers['sec-websocket-accept'] !== undefined, true);
    c.sendText('héllo');
    assert.deepEqual(await c.next(), { opcode: 1, data: Buffer.from('héllo') });
    for (const size of [0, 125, 126, 65535, 65536, 300_000]) {
      const data = Buffer.alloc(size, size % 251);
      c.sendBinary(data);
      const m = await c.next();
      assert.equal(m?.opcode, 2);
      assert.equal(m?.data.length, size);
      assert.ok(m?.data.equals(data));
    }
    c.close();
    assert.deepEqual(await c.closed, { code: 1000, reason: '' });
  });

  it('reassembles fragmented messages with control frames in between', async () => {
    const c = await TestWsClient.connect(srv.port, '/', ['echo']);
    c.frame(0x1, 'frag', { fin: false });
    c.frame(0x9, 'ping-data');
    c.frame(0x0, 'men', { fin: false });
    c.frame(0x0, 'ted', { fin: true });
    assert.deepEqual(await c.next(), { opcode: 0xa, data: Buffer.from('ping-data') });
    assert.deepEqual(await c.next(), { opcode: 1, data: Buffer.from('fragmented') });
    c.close();
    await c.closed;
  });

  it('closes with 1002 on unmasked frames, reserved bits and stray continuations', async () => {
    for (const bad of [
      (c: TestWsClient) => c.frame(0x2, 'x', { mask: false }),
      (c: TestWsClient) => c.frame(0x2, 'x', { rsv: 4 }),
      (c: TestWsClient) => c.frame(0x0, 'x'),
      (c: TestWsClient) => c.frame(0x9, 'x', { fin: false }),
    ]) {
      const c = await TestWsClient.connect(srv.port, '/', ['echo']);
      bad(c);
      assert.equal((await c.closed).code, 1002);
    }
  });

  it('closes with 1007 on a text message that is not UTF-8', async () => {
    const c = await TestWsClient.connect(srv.port, '/', ['echo']);
    c.frame(0x1, Buffer.from([0xc3, 0x28]));
    assert.equal((await c.closed).code, 1007);
  });

  it('server-initiated close waits for the answer', async () => {
    const c = await TestWsClient.connect(srv.port, '/', ['echo']);
    c.sendText('close please');
    const m = await c.next();
    assert.equal(m?.opcode, 8);
    assert.equal(m?.data.readUInt16BE(0), 4000);
    assert.equal(m?.data.subarray(2).toString(), 'asked');
    c.close(4000);
    assert.equal((await c.closed).code, 4000);
  });

  it('refuses handshakes without a key or with another version', async () => {
    const r1 = await TestWsClient.connect(srv.port, '/', [], { 'Sec-WebSocket-Version': '8' }).catch((e: { refusal: HttpRefusal }) => e.refusal);
    assert.equal((r1 as HttpRefusal).status, 426);
    assert.equal((r1 as HttpRefusal).headers['sec-websocket-version'], '13');
  });
});

function pod(annotations: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', annotations },
    spec: { containers: [{ name: 'c', image: 'img' }, { name: 'side', image: 'img2' }] },
  };
}

const channelData = (msgs: WsMessage[], ch: number): string =>
  Buffer.concat(msgs.filter((m) => m.opcode === 2 && m.data[0] === ch).map((m) => m.data.subarray(1))).toString();

describe('exec over websocket', () => {
  let srv: UpgradeServer;
  let current: KubeObject;
  let deleted: (() => void) | undefined;
  let shutdown = new AbortController();
  let dir: string;
  const sessions: Promise<void>[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubevisor-ws-'));
    srv = await upgradeServer((req, socket, head, url) => {
      const kind = url.pathname.endsWith('/attach') ? 'attach' : 'exec';
      sessions.push(handleExec(req, socket, head, current, url.searchParams, kind, {
        onPodDeleted: (l) => { deleted = l; return () => { deleted = undefined; }; },
        signal: shutdown.signal,
      }));
    });
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('v5: stdin, the CLOSE signal for stdin, stdout, status Success, close 1000', async () => {
    current = pod({ 'kubevisor.dev/exec-command': '/bin/sh' });
    const c = await TestWsClient.connect(srv.port, '/exec?command=cat&container=c&stdin=true&stdout=true&stderr=true', ['v5.channel.k8s.io']);
    assert.equal(c.protocol, 'v5.channel.k8s.io');
    c.sendBinary(Buffer.concat([Buffer.from([0]), Buffer.from('some input\n')]));
    c.sendBinary([255, 0]);
    const msgs = await c.drain();
    assert.equal(channelData(msgs, 1), 'some input\n');
    assert.equal(channelData(msgs, 3), '{"metadata":{},"status":"Success"}');
    const close = msgs.find((m) => m.opcode === 8);
    assert.equal(close?.data.readUInt16BE(0), 1000);
  });

  it('the exit code as upstream encodes it, and environment of the pod', async () => {
    current = pod({ 'kubevisor.dev/exec-command': '["/bin/sh"]' });
    const q = new URLSearchParams([['command', 'sh'], ['command', '-c'], ['command', 'echo $KUBEVISOR_POD_NAMESPACE/$HOSTNAME/$KUBEVISOR_CONTAINER_NAME; exit 42'],
      ['container', 'side'], ['stdout', 'true'], ['stderr', 'true']]);
    const c = await TestWsClient.connect(srv.port, `/exec?${q}`, ['v4.channel.k8s.io']);
    const msgs = await c.drain();
    assert.equal(channelData(msgs, 1), 'ns/p/side\n');
    assert.deepEqual(JSON.parse(channelData(msgs, 3)), {
      metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code: exit status 42',
      reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '42' }] },
    });
  });

  it('base64 protocol: text messages with a digit channel', async () => {
    current = pod({ 'kubevisor.dev/exec-command': '/bin/sh' });
    const c = await TestWsClient.connect(srv.port, '/exec?command=cat&container=c&stdin=true&stdout=true', ['v4.base64.channel.k8s.io']);
    c.sendText('0' + Buffer.from('b64 works').toString('base64'));
    const first = await c.next();
    assert.equal(first?.opcode, 1);
    assert.equal(first?.data.toString(), '1'); // the empty "streams are ready" message
    const out = await c.next();
    assert.equal(out?.data.toString(), '1' + Buffer.from('b64 works').toString('base64'));
    c.close();
    await c.closed;
  });

  it('tty: stderr joins stdout; resize messages are accepted', async () => {
    current = pod({ 'kubevisor.dev/exec-command': '/bin/sh' });
    const q = 'command=sh&command=-c&command=echo%20out%3B%20echo%20err%20%3E%262%3B%20echo%20%24TERM&container=c&stdout=true&stderr=true&tty=true';
    const c = await TestWsClient.connect(srv.port, `/exec?${q}`, ['v5.channel.k8s.io']);
    c.sendBinary(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":80,"Height":24}')]));
    const msgs = await c.drain();
    const out = channelData(msgs, 1);
    assert.match(out, /out\n/);
    assert.match(out, /err\n/);
    assert.match(out, /xterm\n/);
    assert.equal(channelData(msgs, 2), '');
  });

  it('no exec-command: a clear Failure on the error channel, then close', async () => {
    current = pod({});
    const c = await TestWsClient.connect(srv.port, '/exec?command=ls&container=c&stdout=true', ['v5.channel.k8s.io']);
    const msgs = await c.drain();
    const status = JSON.parse(channelData(msgs, 3)) as { status: string; message: string };
    assert.equal(status.status, 'Failure');
    assert.match(status.message, /container "c" of pod ns\/p is simulated by kubevisor/);
    assert.match(status.message, /kubevisor\.dev\/exec-command/);
  });

  it('channel.k8s.io (v1): the error channel carries only a failure text', async () => {
    current = pod({ 'kubevisor.dev/exec-command': '/bin/sh' });
    const ok = await TestWsClient.connect(srv.port, '/exec?command=true&container=c&stdout=true', ['channel.k8s.io']);
    assert.equal(channelData(await ok.drain(), 3), '');
    const bad = await TestWsClient.connect(srv.port, '/exec?command=false&container=c&stdout=true', ['channel.k8s.io']);
    assert.equal(channelData(await bad.drain(), 3), 'command terminated with non-zero exit code: exit status 1');
  });

  it('a client that goes away kills the command and its children', async () => {
    current = pod({ 'kubevisor.dev/exec-command': '/bin/sh' });
    const pidFile = join(dir, 'pid');
    const script = `sleep 30 & echo $! > ${pidFile}; wait`;
    const q = new URLSearchParams([['command', 'sh'], ['command', '-c'], ['command', script], ['container', 'c'], ['stdout', 'true']]);
    const c = await TestWsClient.connect(srv.port, `/exec?${q}`, ['v5.channel.k8s.io']);
    const deadline = Date.now() + 5_000;
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
      assert.ok(Date.now() < deadline, 'the command did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    c.socket.destroy();
    await sessions.at(-1);
    await new Promise((r) => setTimeout(r, 100));
    // Gone, or a zombie waiting for whoever reaps orphans here.
    const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    assert.ok(state === 'gone' || state === 'Z', `sleep is still running (state ${state})`);
  });

  it('deleting the pod kills the command: exit code 137', async () => {
    current = pod({ 'kubevisor.dev/exec-command': '/bin/sh' });
    const c = await TestWsClient.connect(srv.port, '/exec?command=sleep&command=30&container=c&stdout=true', ['v5.channel.k8s.io']);
    await c.next(); // the ready message
    const deadline = Date.now() + 5_000;
    while (!deleted) {
      assert.ok(Date.now() < deadline);
      await new Promise((r) => setTimeout(r, 10));
    }
    deleted();
    const msgs = await c.drain();
    assert.match(channelData(msgs, 3), /"message":"137"/);
  });

  it('server shutdown (options.signal) drops the connection and kills the command', async () => {
    current = pod({ 'kubevisor.dev/exec-command': '/bin/sh' });
    const c = await TestWsClient.connect(srv.port, '/exec?command=sleep&command=30&container=c&stdout=true', ['v5.channel.k8s.io']);
    await c.next();
    const t0 = Date.now();
    shutdown.abort();
    await c.closed;
    await sessions.at(-1);
    assert.ok(Date.now() - t0 < 2_000);
    const r = await TestWsClient.connect(srv.port, '/exec?command=true&container=c&stdout=true', ['v5.channel.k8s.io'])
      .then(() => undefined, (e: { refusal: HttpRefusal }) => e.refusal);
    assert.equal(r?.status, 503);
    shutdown = new AbortController();
  });

  it('refuses requests the API server would refuse, before upgrading', async () => {
    current = pod({ 'kubevisor.dev/exec-command': '/bin/sh' });
    const cases: Array<[string, string[], number, RegExp]> = [
      ['/exec?command=ls&container=c', ['v5.channel.k8s.io'], 400, /you must specify at least 1 of stdin, stdout, stderr/],
      ['/exec?container=c&stdout=true', ['v5.channel.k8s.io'], 400, /at least one command/],
      ['/exec?command=ls&stdout=true', ['v5.channel.k8s.io'], 400, /a container name must be specified for pod p, choose one of: \[c side\]/],
      ['/exec?command=ls&container=x&stdout=true', ['v5.channel.k8s.io'], 400, /container x is not valid for pod p/],
      ['/exec?command=ls&container=c&stdout=true', ['v9.channel.k8s.io'], 400, /not supported/],
    ];
    for (const [path, protocols, status, message] of cases) {
      const r = await TestWsClient.connect(srv.port, path, protocols).then(() => undefined, (e: { refusal: HttpRefusal }) => e.refusal);
      assert.ok(r, `${path} was accepted`);
      assert.equal(r.status, status);
      assert.match(r.body, message);
    }
  });

  it('attach runs attach-command (or exec-command) with no arguments', async () => {
    current = pod({ 'kubevisor.dev/exec-command': '/bin/sh', 'kubevisor.dev/attach-command.c': '/bin/cat' });
    const c = await TestWsClient.connect(srv.port, '/attach?container=c&stdin=true&stdout=true', ['v5.channel.k8s.io']);
    c.sendBinary(Buffer.concat([Buffer.from([0]), Buffer.from('via cat\n')]));
    c.sendBinary([255, 0]);
    const msgs = await c.drain();
    assert.equal(channelData(msgs, 1), 'via cat\n');
  });

  it('statusFor shapes', () => {
    assert.deepEqual(statusFor({ kind: 'exit', code: 0 }), { metadata: {}, status: 'Success' });
    assert.deepEqual(statusFor({ kind: 'error', code: 500, reason: 'InternalError', message: 'boom' }),
      { metadata: {}, status: 'Failure', message: 'boom', reason: 'InternalError', code: 500 });
  });
});
