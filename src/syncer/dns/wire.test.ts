import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLASS_IN, RCode, RRType, WireError, decodeMessage, emptyFlags, encodeMessage, recordToText, udpLimit, type Message } from './wire.ts';
import { addressOfReverseName, canonicalIP, reverseName } from './ip.ts';

function response(answers: Message['answers'], edns?: Message['edns']): Message {
  return {
    id: 0x1234, flags: { ...emptyFlags(), qr: true, aa: true, rd: true }, rcode: RCode.NOERROR,
    questions: [{ name: 'web.default.svc.cluster.local', type: RRType.SRV, class: CLASS_IN }],
    answers, authority: [], additional: [], edns,
  };
}

test('every record type survives encode and decode', () => {
  const m = response([
    { name: 'a.example', class: CLASS_IN, ttl: 30, data: { kind: 'A', address: '10.0.0.1' } },
    { name: 'a.example', class: CLASS_IN, ttl: 30, data: { kind: 'AAAA', address: '2001:db8::1' } },
    { name: 'c.example', class: CLASS_IN, ttl: 30, data: { kind: 'CNAME', target: 'a.example' } },
    { name: '1.0.0.10.in-addr.arpa', class: CLASS_IN, ttl: 30, data: { kind: 'PTR', target: 'a.example' } },
    { name: '_x._tcp.a.example', class: CLASS_IN, ttl: 30, data: { kind: 'SRV', priority: 1, weight: 2, port: 443, target: 'a.example' } },
    { name: 'a.example', class: CLASS_IN, ttl: 30, data: { kind: 'TXT', texts: ['hello world', ''] } },
    { name: 'a.example', class: CLASS_IN, ttl: 30, data: { kind: 'MX', preference: 10, exchange: 'mail.a.example' } },
    { name: 'example', class: CLASS_IN, ttl: 30, data: { kind: 'SOA', mname: 'ns.example', rname: 'host.example', serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 4 } },
    { name: 'a.example', class: CLASS_IN, ttl: 30, data: { kind: 'raw', type: 99, bytes: Uint8Array.from([1, 2, 3]) } },
    { name: 'we\\.ird\\032label.example', class: CLASS_IN, ttl: 5, data: { kind: 'A', address: '10.0.0.2' } },
  ], { udpSize: 1232, version: 0, dnssecOk: true, options: Uint8Array.from([0, 10, 0, 2, 0xab, 0xcd]) });
  const back = decodeMessage(encodeMessage(m));
  assert.deepEqual(back, m);
});

test('names are compressed on write (case-insensitively) and followed on read', () => {
  const answers = Array.from({ length: 5 }, (_, i) => ({ name: i % 2 ? 'WEB.default.svc.cluster.local' : 'web.default.svc.cluster.local', class: CLASS_IN, ttl: 30, data: { kind: 'A' as const, address: `10.0.0.${i}` } }));
  const bytes = encodeMessage(response(answers));
  // header 12 + question (31 name + 4) + 5 answers of (2-byte pointer + 10 + 4)
  assert.equal(bytes.length, 12 + 35 + 5 * 16);
  assert.equal(decodeMessage(bytes).answers[1]!.name, 'web.default.svc.cluster.local', 'a pointer reads back the first spelling');
  // SRV targets are never compressed (RFC 2782): the target is spelled out.
  const srv = encodeMessage(response([{ name: 'web.default.svc.cluster.local', class: CLASS_IN, ttl: 30, data: { kind: 'SRV', priority: 0, weight: 0, port: 1, target: 'web.default.svc.cluster.local' } }]));
  assert.ok(srv.includes(Buffer.from('\x03web\x07default\x03svc\x07cluster\x05local\x00', 'latin1'), 12 + 35 + 2 + 10 + 6));
});

test('malformed messages are refused with WireError, never something else', () => {
  const good = encodeMessage(response([{ name: 'a.example', class: CLASS_IN, ttl: 30, data: { kind: 'A', address: '10.0.0.1' } }]));
  for (let cut = 0; cut < good.length; cut++) assert.throws(() => decodeMessage(good.subarray(0, cut)), WireError, `cut at ${cut}`);
  // A pointer to itself, and a pointer forward, must not loop or read ahead.
  const header = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => decodeMessage(Buffer.concat([header, Buffer.from([0xc0, 12, 0, 1, 0, 1])])), WireError);
  assert.throws(() => decodeMessage(Buffer.concat([header, Buffer.from([1, 0x61, 0xc0, 12, 0, 1, 0, 1])])), WireError);
  assert.throws(() => decodeMessage(Buffer.concat([header, Buffer.from([0xc0, 20, 0, 1, 0, 1, 0, 0, 1, 0x61, 0])])), WireError);
  assert.throws(() => decodeMessage(Buffer.concat([header, Buffer.from([0x40, 0, 0, 1, 0, 1])])), WireError, 'extended label type');
  assert.throws(() => decodeMessage(Buffer.concat([header, Buffer.from([0, 0, 1, 0, 1, 9])])), WireError, 'trailing bytes');
  // Random garbage: only WireError, whatever the bytes.
  for (let i = 0; i < 2000; i++) {
    const junk = Buffer.from(good);
    for (let k = 0; k < 4; k++) junk[Math.floor(Math.random() * junk.length)] = Math.floor(Math.random() * 256);
    try { decodeMessage(junk); } catch (e) { assert.ok(e instanceof WireError, String(e)); }
  }
});

test('an answer too large for UDP keeps its question and OPT and sets TC', () => {
  const answers = Array.from({ length: 60 }, (_, i) => ({ name: 'db.default.svc.cluster.local', class: CLASS_IN, ttl: 30, data: { kind: 'A' as const, address: `10.0.${i}.1` } }));
  const m = response(answers, { udpSize: 1232, version: 0, dnssecOk: false, options: new Uint8Array() });
  const full = encodeMessage(m);
  assert.ok(full.length > 512);
  const cut = decodeMessage(encodeMessage(m, 512));
  assert.equal(cut.flags.tc, true);
  assert.equal(cut.answers.length, 0);
  assert.deepEqual(cut.questions, m.questions);
  assert.equal(cut.edns?.udpSize, 1232);
  assert.equal(decodeMessage(encodeMessage(m, full.length)).flags.tc, false);
  // Limits: 512 without EDNS, the client's EDNS size capped by ours.
  assert.equal(udpLimit(undefined, 1232), 512);
  assert.equal(udpLimit({ ...m, edns: { udpSize: 4096, version: 0, dnssecOk: false, options: new Uint8Array() } }, 1232), 1232);
  assert.equal(udpLimit({ ...m, edns: { udpSize: 100, version: 0, dnssecOk: false, options: new Uint8Array() } }, 1232), 512);
});

test('extended rcodes travel in the OPT record', () => {
  const m: Message = { ...response([]), rcode: RCode.BADVERS, edns: { udpSize: 512, version: 0, dnssecOk: false, options: new Uint8Array() } };
  assert.equal(decodeMessage(encodeMessage(m)).rcode, RCode.BADVERS);
  assert.throws(() => encodeMessage({ ...m, edns: undefined }), WireError);
});

test('addresses: canonical text, reverse names both ways', () => {
  assert.equal(canonicalIP('2001:DB8:0:0::1'), '2001:db8::1');
  assert.equal(canonicalIP('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(canonicalIP('2001:db8:0:1:0:0:0:1'), '2001:db8:0:1::1');
  assert.equal(canonicalIP('2001:db8:1:1:1:1:0:1'), '2001:db8:1:1:1:1:0:1');
  assert.equal(canonicalIP('10.1.2'), undefined);
  assert.equal(reverseName('10.96.0.1'), '1.0.96.10.in-addr.arpa');
  assert.equal(reverseName('2001:db8::1'), '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  assert.equal(addressOfReverseName(reverseName('2001:db8::1')!), '2001:db8::1');
  assert.equal(addressOfReverseName('1.0.96.10.in-addr.arpa'), '10.96.0.1');
  assert.equal(addressOfReverseName('01.0.96.10.in-addr.arpa'), undefined);
  assert.equal(addressOfReverseName('0.96.10.in-addr.arpa'), undefined);
});

test('records print in zone-file style', () => {
  assert.equal(recordToText({ name: 'x', class: CLASS_IN, ttl: 1, data: { kind: 'TXT', texts: ['a b'] } }), 'x. 1 TXT "a b"');
});
