import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtobufDecodeError } from './errors.ts';
import { Reader, Writer } from './wire.ts';

test('signed varints round-trip; negatives take ten bytes', () => {
  for (const v of [0, 1, 127, 128, 300, 2 ** 31 - 1, -1, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 40 + 5]) {
    const w = new Writer(4);
    w.int64(v);
    const bytes = w.finish();
    if (v < 0) assert.equal(bytes.length, 10, `${v}`);
    const r = new Reader(bytes);
    assert.equal(r.int64(bytes.length), v);
    assert.equal(r.pos, bytes.length);
    if (v >= -(2 ** 31) && v < 2 ** 31) assert.equal(new Reader(bytes).int32(bytes.length), v);
  }
});

test('delimited values longer than 127 bytes move their body to fit the length', () => {
  const w = new Writer(8);
  const at = w.beginDelimited();
  const text = 'x'.repeat(300);
  w.raw(Buffer.from(text));
  w.endDelimited(at);
  const bytes = w.finish();
  assert.deepEqual([...bytes.subarray(0, 2)], [0xac, 0x02]);
  const r = new Reader(bytes);
  const end = r.delimited(bytes.length);
  assert.equal(r.string(r.pos, end), text);
});

test('strings: ASCII and multi-byte UTF-8', () => {
  for (const s of ['', 'abc', 'grüße', '日本語', '🙂'.repeat(50), 'a'.repeat(200)]) {
    const w = new Writer(2);
    w.string(s);
    const bytes = w.finish();
    const r = new Reader(bytes);
    const end = r.delimited(bytes.length);
    assert.equal(r.string(r.pos, end), s);
  }
});

test('reader rejects truncated and overlong data', () => {
  assert.throws(() => new Reader(Uint8Array.of(0x80, 0x80)).int64(2), ProtobufDecodeError);
  assert.throws(() => new Reader(Uint8Array.of(...new Array(10).fill(0xff), 0x01)).int64(11), /longer than 10 bytes/);
  assert.throws(() => new Reader(Uint8Array.of(0x05, 0x61)).delimited(2), /past the end/);
  assert.throws(() => new Reader(Uint8Array.of(0x01)).skip(3, 1), /wire type 3/);
  assert.throws(() => new Reader(Uint8Array.of(0x01, 0x02)).skip(1, 2), /truncated/);
});
