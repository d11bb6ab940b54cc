import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { startDnsServer, type DnsServer } from './server.ts';
import { exchangeRaw, queryDns, type DnsQuery } from './client.ts';
import { viewFromLists } from './view-from-lists.ts';
import { endpointSlice, sampleCluster, service } from './dns.fixtures.ts';
import { CLASS_IN, RCode, RRType, decodeMessage, emptyFlags, encodeMessage, recordToText, type Message } from './wire.ts';
import { DnsTimeoutError, frame } from './transport.ts';

// Two virtual clusters with the same names; tenant A's pods query from 127.0.0.1, tenant B's from 127.0.0.2.
const big = Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.3.${i + 1}` }));
function tenant(webIP: string) {
  const lists = sampleCluster(webIP);
  lists.services.push(service('default', 'big', { clusterIP: 'None', ports: [] }));
  lists.endpointSlices.push(endpointSlice('default', 'big', big, []));
  return viewFromLists(lists);
}
const viewA = tenant('10.96.0.10');
const viewB = tenant('10.96.7.77');

/** A fake upstream on UDP and TCP: example.com A, a large TXT, and silence for "hang.example". */
interface FakeUpstream { port: number; queries: Message[]; close(): void }
async function fakeUpstream(): Promise<FakeUpstream> {
  const queries: Message[] = [];
  const answer = (bytes: Buffer): Buffer | undefined => {
    const q = decodeMessage(bytes);
    queries.push(q);
    const question = q.questions[0]!;
    if (question.name === 'hang.example') return undefined;
    const m: Message = { id: q.id, flags: { ...emptyFlags(), qr: true, rd: q.flags.rd, ra: true }, rcode: RCode.NOERROR, questions: q.questions, answers: [], authority: [], additional: [], edns: q.edns };
    if (question.name === 'example.com' && question.type === RRType.A) m.answers.push({ name: 'example.com', class: CLASS_IN, ttl: 300, data: { kind: 'A', address: '93.184.216.34' } });
    else if (question.name === 'big.example') for (let i = 0; i < 40; i++) m.answers.push({ name: 'big.example', class: CLASS_IN, ttl: 300, data: { kind: 'TXT', texts: [`record number ${i} with some padding`] } });
    else m.rcode = RCode.NXDOMAIN;
    return encodeMessage(m); // never truncates: the server in front must
  };
  // A free UDP port may be taken for TCP by another suite running meanwhile: try another one.
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const port = udp.address().port;
    udp.on('message', (msg, rinfo) => { const a = answer(msg); if (a) udp.send(a, rinfo.port, rinfo.address); });
    const tcp = createServer((s) => {
      s.on('error', () => {});
      s.once('data', (chunk) => { const a = answer(chunk.subarray(2)); if (a) s.end(frame(a)); });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, '127.0.0.1', () => { tcp.off('error', reject); resolve(); });
      });
      return { port, queries, close: () => { udp.close(); tcp.close(); } };
    } catch (err) {
      udp.close();
      if (attempt >= 10 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

/** A UDP port that never answers. */
async function blackHole(): Promise<UdpSocket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

let upstream: FakeUpstream;
let hole: UdpSocket;
let server: DnsServer;
let deadServer: DnsServer;
const errors: unknown[] = [];

before(async () => {
  upstream = await fakeUpstream();
  hole = await blackHole();
  const views = (addr: string) => (addr === '127.0.0.1' ? viewA : addr === '127.0.0.2' ? viewB : undefined);
  // The first upstream never answers: every forwarded query also tests moving on to the next.
  server = await startDnsServer({ host: '127.0.0.1', port: 0, views, upstream: [{ host: '127.0.0.1', port: hole.address().port }, { host: '127.0.0.1', port: upstream.port }], timeoutMs: 150, onError: (e) => errors.push(e) });
  deadServer = await startDnsServer({ host: '127.0.0.1', port: 0, views, upstream: [{ host: '127.0.0.1', port: hole.address().port }], timeoutMs: 100 });
});
after(async () => {
  await server.close();
  await deadServer.close();
  upstream.close();
  hole.close();
  assert.deepEqual(errors, []);
});

function ask(name: string, type: number, extra: Partial<DnsQuery> = {}) {
  return queryDns({ server: '127.0.0.1', port: server.port, name, type, ...extra });
}
const texts = (m: Message, section: 'answers' | 'authority' | 'additional' = 'answers') => m[section].map(recordToText);

for (const transport of ['udp', 'tcp'] as const) {
  test(`service, headless, SRV, pod and PTR answers over ${transport}`, async () => {
    const a = (await ask('web.default.svc.cluster.local', RRType.A, { transport })).message;
    assert.equal(a.rcode, RCode.NOERROR);
    assert.equal(a.flags.aa, true);
    assert.deepEqual(texts(a), ['web.default.svc.cluster.local. 30 A 10.96.0.10']);
    const headless = (await ask('db.default.svc.cluster.local', RRType.A, { transport })).message;
    assert.deepEqual(texts(headless).sort(), ['10.244.1.10', '10.244.1.11', '10.244.1.13'].map((ip) => `db.default.svc.cluster.local. 30 A ${ip}`));
    const srv = (await ask('_pg._tcp.db.default.svc.cluster.local', RRType.SRV, { transport })).message;
    assert.equal(srv.answers.length, 3);
    assert.ok(texts(srv).includes('_pg._tcp.db.default.svc.cluster.local. 30 SRV 0 33 15432 db-0.db.default.svc.cluster.local.'));
    assert.ok(texts(srv, 'additional').includes('db-0.db.default.svc.cluster.local. 30 A 10.244.1.10'));
    const podA = (await ask('10-244-2-2.default.pod.cluster.local', RRType.A, { transport })).message;
    assert.deepEqual(texts(podA), ['10-244-2-2.default.pod.cluster.local. 30 A 10.244.2.2']);
    const ptr = (await ask('10.0.96.10.in-addr.arpa', RRType.PTR, { transport })).message;
    assert.deepEqual(texts(ptr), ['10.0.96.10.in-addr.arpa. 30 PTR web.default.svc.cluster.local.']);
  });
}

test('NXDOMAIN carries the SOA; an existing name without the type is NODATA', async () => {
  const nx = (await ask('nope.default.svc.cluster.local', RRType.A)).message;
  assert.equal(nx.rcode, RCode.NXDOMAIN);
  assert.deepEqual(texts(nx), []);
  assert.match(texts(nx, 'authority')[0]!, /^cluster\.local\. 30 SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30$/);
  const nodata = (await ask('web.default.svc.cluster.local', RRType.TXT)).message;
  assert.equal(nodata.rcode, RCode.NOERROR);
  assert.deepEqual(texts(nodata), []);
  assert.equal(nodata.authority[0]?.data.kind, 'SOA');
});

test('the same name answers differently for two virtual clusters, chosen by source address', async () => {
  const fromA = (await ask('web.default.svc.cluster.local', RRType.A, { localAddress: '127.0.0.1' })).message;
  const fromB = (await ask('web.default.svc.cluster.local', RRType.A, { localAddress: '127.0.0.2' })).message;
  const fromBTcp = (await ask('web.default.svc.cluster.local', RRType.A, { localAddress: '127.0.0.2', transport: 'tcp' })).message;
  assert.deepEqual(texts(fromA), ['web.default.svc.cluster.local. 30 A 10.96.0.10']);
  assert.deepEqual(texts(fromB), ['web.default.svc.cluster.local. 30 A 10.96.7.77']);
  assert.deepEqual(texts(fromBTcp), texts(fromB));
  // Reverse lookups too: B answers its own ClusterIP, and A's is not B's to answer (it goes upstream).
  const ptrB = (await ask('77.7.96.10.in-addr.arpa', RRType.PTR, { localAddress: '127.0.0.2' })).message;
  assert.deepEqual(texts(ptrB), ['77.7.96.10.in-addr.arpa. 30 PTR web.default.svc.cluster.local.']);
  const ptrAfromB = (await ask('10.0.96.10.in-addr.arpa', RRType.PTR, { localAddress: '127.0.0.2' })).message;
  assert.equal(ptrAfromB.rcode, RCode.NXDOMAIN);
  assert.equal(ptrAfromB.flags.aa, false);
});

test('a client with no view gets cluster names refused (SERVFAIL) and other names forwarded', async () => {
  const inDomain = (await ask('web.default.svc.cluster.local', RRType.A, { localAddress: '127.0.0.3' })).message;
  assert.equal(inDomain.rcode, RCode.SERVFAIL);
  assert.deepEqual(inDomain.answers, []);
  const outside = (await ask('example.com', RRType.A, { localAddress: '127.0.0.3' })).message;
  assert.deepEqual(texts(outside), ['example.com. 300 A 93.184.216.34']);
});

test('other names are forwarded upstream (past one that does not answer), EDNS passed through', async () => {
  const before = upstream.queries.length;
  const { message } = await ask('example.com', RRType.A, { ednsUdpSize: 1400 });
  assert.equal(message.rcode, RCode.NOERROR);
  assert.deepEqual(texts(message), ['example.com. 300 A 93.184.216.34']);
  assert.equal(upstream.queries.at(-1)?.edns?.udpSize, 1400, 'the upstream saw the client OPT record');
  assert.equal(upstream.queries.length, before + 1);
  const nx = (await ask('missing.example', RRType.A)).message;
  assert.equal(nx.rcode, RCode.NXDOMAIN, 'upstream rcodes come back as they are');
  // Unknown reverse addresses fall through upstream as well.
  const ptr = (await ask('8.8.8.8.in-addr.arpa', RRType.PTR)).message;
  assert.equal(upstream.queries.at(-1)?.questions[0]?.name, '8.8.8.8.in-addr.arpa');
  assert.equal(ptr.rcode, RCode.NXDOMAIN);
});

test('ExternalName answers the CNAME and the target resolved upstream', async () => {
  const { message } = await ask('ext.default.svc.cluster.local', RRType.A);
  assert.deepEqual(texts(message), ['ext.default.svc.cluster.local. 30 CNAME example.com.', 'example.com. 300 A 93.184.216.34']);
  assert.equal(message.rcode, RCode.NOERROR);
});

test('SERVFAIL when no upstream answers, over UDP and TCP', async () => {
  for (const transport of ['udp', 'tcp'] as const) {
    const started = Date.now();
    const { message } = await queryDns({ server: '127.0.0.1', port: deadServer.port, name: 'example.com', type: RRType.A, transport, timeoutMs: 2000 });
    assert.equal(message.rcode, RCode.SERVFAIL, transport);
    // Over UDP the silent upstream is waited for; over TCP its closed port refuses at once.
    if (transport === 'udp') assert.ok(Date.now() - started >= 90, 'waited for the upstream first');
  }
  // An upstream that receives but stays silent also ends in SERVFAIL.
  assert.equal((await ask('hang.example', RRType.A)).message.rcode, RCode.SERVFAIL);
});

test('a large answer is truncated over UDP and complete over TCP', async () => {
  const udp = await ask('big.default.svc.cluster.local', RRType.A);
  assert.equal(udp.message.flags.tc, true);
  assert.equal(udp.message.answers.length, 0);
  assert.ok(udp.size <= 512);
  const edns = await ask('big.default.svc.cluster.local', RRType.A, { ednsUdpSize: 4096 });
  assert.equal(edns.message.flags.tc, false, '60 A records fit in our 1232-byte EDNS limit');
  assert.equal(edns.message.answers.length, 60);
  const tcp = await ask('big.default.svc.cluster.local', RRType.A, { transport: 'tcp' });
  assert.equal(tcp.message.flags.tc, false);
  assert.equal(tcp.message.answers.length, 60);
  // Forwarded answers too: the fake upstream ignores the 512-byte limit, the server enforces it.
  const fwdUdp = await ask('big.example', RRType.TXT);
  assert.equal(fwdUdp.message.flags.tc, true);
  assert.ok(fwdUdp.size <= 512);
  const fwdTcp = await ask('big.example', RRType.TXT, { transport: 'tcp' });
  assert.equal(fwdTcp.message.answers.length, 40);
});

test('malformed packets: FORMERR when the header is readable, silence otherwise, and the server keeps serving', async () => {
  const target = { server: '127.0.0.1', port: server.port, timeoutMs: 300 };
  // Too short for a header: no answer.
  await assert.rejects(exchangeRaw(Buffer.from([1, 2, 3]), target), DnsTimeoutError);
  // A response (QR set) is never answered.
  const response = encodeMessage({ id: 7, flags: { ...emptyFlags(), qr: true }, rcode: 0, questions: [{ name: 'x', type: 1, class: 1 }], answers: [], authority: [], additional: [] });
  await assert.rejects(exchangeRaw(response, target), DnsTimeoutError);
  // A header claiming a question that is not there, and a compression loop: FORMERR with the same id.
  for (const body of [[], [0xc0, 12, 0, 1, 0, 1]]) {
    const bytes = Buffer.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...body]);
    const reply = decodeMessage(await exchangeRaw(bytes, target));
    assert.equal(reply.id, 0xabcd);
    assert.equal(reply.rcode, RCode.FORMERR);
    assert.equal(reply.flags.qr, true);
  }
  // Two questions: FORMERR; an unknown opcode: NOTIMP; EDNS version 1: BADVERS.
  const two = encodeMessage({ id: 9, flags: emptyFlags(), rcode: 0, questions: [{ name: 'a', type: 1, class: 1 }, { name: 'b', type: 1, class: 1 }], answers: [], authority: [], additional: [] });
  assert.equal(decodeMessage(await exchangeRaw(two, target)).rcode, RCode.FORMERR);
  const notify = encodeMessage({ id: 9, flags: { ...emptyFlags(), opcode: 4 }, rcode: 0, questions: [{ name: 'a', type: 1, class: 1 }], answers: [], authority: [], additional: [] });
  assert.equal(decodeMessage(await exchangeRaw(notify, target)).rcode, RCode.NOTIMP);
  const v1 = encodeMessage({ id: 9, flags: emptyFlags(), rcode: 0, questions: [{ name: 'a', type: 1, class: 1 }], answers: [], authority: [], additional: [], edns: { udpSize: 1232, version: 1, dnssecOk: false, options: new Uint8Array() } });
  assert.equal(decodeMessage(await exchangeRaw(v1, target)).rcode, RCode.BADVERS);
  // Random junk of every length: the server survives and still answers.
  const junk = createSocket('udp4');
  for (let i = 0; i < 300; i++) junk.send(Buffer.from(Array.from({ length: i % 40 }, () => Math.floor(Math.random() * 256))), server.port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 100));
  junk.close();
  assert.deepEqual(texts((await ask('web.default.svc.cluster.local', RRType.A)).message), ['web.default.svc.cluster.local. 30 A 10.96.0.10']);
});

test('TCP: several queries on one connection, a malformed one answered FORMERR in between', async () => {
  const query = (id: number, name: string) => encodeMessage({ id, flags: { ...emptyFlags(), rd: true }, rcode: 0, questions: [{ name, type: RRType.A, class: CLASS_IN }], answers: [], authority: [], additional: [] });
  const socket = connect({ host: '127.0.0.1', port: server.port });
  const replies: Message[] = [];
  const done = new Promise<void>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (replies.length === 4) resolve();
      }
    });
  });
  // All four frames in one write, the last one split across two writes.
  const last = frame(query(4, 'example.com'));
  socket.write(Buffer.concat([frame(query(1, 'web.default.svc.cluster.local')), frame(Buffer.from([0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])), frame(query(3, 'db-1.db.default.svc.cluster.local')), last.subarray(0, 5)]));
  setTimeout(() => socket.write(last.subarray(5)), 20);
  await done;
  socket.destroy();
  const byId = new Map(replies.map((r) => [r.id, r]));
  assert.deepEqual(texts(byId.get(1)!), ['web.default.svc.cluster.local. 30 A 10.96.0.10']);
  assert.equal(byId.get(2)!.rcode, RCode.FORMERR);
  assert.deepEqual(texts(byId.get(3)!), ['db-1.db.default.svc.cluster.local. 30 A 10.244.1.11']);
  assert.deepEqual(texts(byId.get(4)!), ['example.com. 300 A 93.184.216.34']);
});
