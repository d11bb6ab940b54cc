// The lean HTTP client against a server that answers with raw bytes, in the
// ways real servers do (lengths, chunks, closes, answers split anywhere).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { LeanHttpError, LeanPool, type LeanTarget } from './lean-http.ts';

interface Seen { connections: number; requests: string[] }

/** A server that hands each request (its head and body) to `answer`, which writes raw bytes. */
async function rawServer(answer: (s: Socket, head: string, body: string, nth: number) => void): Promise<{ target: LeanTarget; seen: Seen; server: Server }> {
  const seen: Seen = { connections: 0, requests: [] };
  const server = createServer((s) => {
    seen.connections++;
    let buf = Buffer.alloc(0);
    let nth = 0;
    s.on('error', () => {});
    s.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const body = buf.toString('utf8', end + 4, end + 4 + len);
        buf = buf.subarray(end + 4 + len);
        seen.requests.push(head.split('\r\n')[0]!);
        answer(s, head, body, nth++);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  servers.push(server);
  return { target: { tls: false, hostname: '127.0.0.1', port }, seen, server };
}

const servers: Server[] = [];
const pools: LeanPool[] = [];
after(() => {
  for (const p of pools) p.close();
  for (const s of servers) { s.close(); (s as Server & { closeAllConnections?: () => void }).closeAllConnections?.(); }
});

function pool(): LeanPool {
  const p = new LeanPool();
  pools.push(p);
  return p;
}

const json = (status: number, body: string, extra = '') => `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

test('requests go out whole and reuse one kept-alive connection', async () => {
  const { target, seen } = await rawServer((s, head, body) => s.write(json(201, JSON.stringify({ got: body, host: /host: (.*)/i.exec(head)?.[1] }))));
  const p = pool();
  for (let i = 0; i < 3; i++) {
    const r = await p.request(target, 'POST', `/x/${i}`, { 'Content-Type': 'application/json' }, `{"n":${i},"é":1}`, 5000);
    assert.equal(r.status, 201);
    assert.deepEqual(JSON.parse(r.body), { got: `{"n":${i},"é":1}`, host: `127.0.0.1:${target.port}` });
  }
  assert.equal(seen.connections, 1);
  assert.deepEqual(seen.requests, ['POST /x/0 HTTP/1.1', 'POST /x/1 HTTP/1.1', 'POST /x/2 HTTP/1.1']);
});

test('chunked answers, answers split byte by byte, an interim 100 first', async () => {
  const big = JSON.stringify({ pad: 'ü'.repeat(5000) });
  const { target } = await rawServer((s, _h, _b, nth) => {
    const chunked = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(big.slice(0, 100)).toString(16)}\r\n${big.slice(0, 100)}\r\n${Buffer.byteLength(big.slice(100)).toString(16)};ext=1\r\n${big.slice(100)}\r\n0\r\nX-Trailer: t\r\n\r\n`;
    const text = nth === 0 ? chunked : `HTTP/1.1 100 Continue\r\n\r\n${json(200, big)}`;
    const bytes = Buffer.from(text);
    // Byte by byte, to split every line and every multibyte character.
    let i = 0;
    const drip = () => { if (i < bytes.length) { s.write(bytes.subarray(i, i + 1)); i++; setImmediate(drip); } };
    drip();
  });
  const p = pool();
  const a = await p.request(target, 'GET', '/a', {}, undefined, 20_000);
  assert.equal(a.body, big);
  const b = await p.request(target, 'GET', '/b', {}, undefined, 20_000);
  assert.equal(b.status, 200);
  assert.equal(b.body, big);
});

test('an answer saying Connection: close, or running to the end of the connection, is not followed on that socket', async () => {
  const { target, seen } = await rawServer((s, _h, _b, nth) => {
    if (nth > 0) throw new Error('a second request on a closed connection');
    if (seen.connections === 1) s.end(json(200, '{"a":1}', 'Connection: close\r\n'));
    else s.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"until":"the end"}');
  });
  const p = pool();
  assert.deepEqual(JSON.parse((await p.request(target, 'GET', '/', {}, undefined, 5000)).body), { a: 1 });
  assert.deepEqual(JSON.parse((await p.request(target, 'GET', '/', {}, undefined, 5000)).body), { until: 'the end' });
  assert.equal(seen.connections, 2);
});

test('a kept socket the server dropped unanswered: the request goes again on a new one, once', async () => {
  const { target, seen } = await rawServer((s, _h, _b, nth) => {
    // Every connection answers its first request only, then drops the next without a word.
    if (nth === 0) s.write(json(200, `{"conn":${seen.connections}}`));
    else s.destroy();
  });
  const p = pool();
  assert.deepEqual(JSON.parse((await p.request(target, 'GET', '/1', {}, undefined, 5000)).body), { conn: 1 });
  assert.deepEqual(JSON.parse((await p.request(target, 'GET', '/2', {}, undefined, 5000)).body), { conn: 2 });
  assert.equal(seen.connections, 2);
  assert.deepEqual(seen.requests, ['GET /1 HTTP/1.1', 'GET /2 HTTP/1.1', 'GET /2 HTTP/1.1']);
});

test('a fresh connection that breaks, a server that never answers, and a refused connection are errors', async () => {
  const { target } = await rawServer((s, _h, _b, nth) => { if (nth === 0) s.destroy(); });
  const p = pool();
  await assert.rejects(p.request(target, 'GET', '/', {}, undefined, 5000), (e: unknown) => e instanceof LeanHttpError && !e.reused);
  const quiet = await rawServer(() => {});
  const t0 = performance.now();
  await assert.rejects(p.request(quiet.target, 'GET', '/', {}, undefined, 300), /no answer to GET \/ within 0.3s/);
  assert.ok(performance.now() - t0 >= 290);
  const closed = await rawServer(() => {});
  closed.server.close();
  await new Promise((r) => setTimeout(r, 20));
  await assert.rejects(p.request(closed.target, 'GET', '/', {}, undefined, 5000), (e: unknown) => e instanceof LeanHttpError && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED');
});

test('an unreadable answer is an error, and its socket is not kept', async () => {
  const { target, seen } = await rawServer((s) => s.write(seen.connections === 1 ? 'SMTP ready\r\n\r\n' : json(200, '{}')));
  const p = pool();
  await assert.rejects(p.request(target, 'GET', '/', {}, undefined, 5000), /unreadable answer to GET \/: not an HTTP\/1.x status line/);
  assert.equal((await p.request(target, 'GET', '/', {}, undefined, 5000)).status, 200);
  assert.equal(seen.connections, 2);
});
