import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodPair } from './streams-errors.ts';
import { closePayloadRewrite, MAX_CLOSE_REASON, utf8Prefix } from './streams-ws-close.ts';

const pod: PodPair = {
  namespace: 'shop', name: 'web', hostNamespace: 'tenants', hostName: 'web-x-shop-x-dev', uid: 'v-uid', hostUid: 'h-uid',
};

function close(code: number, reason: string): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason)]);
}

test('a close reason is re-worded and its code kept', () => {
  const out = closePayloadRewrite(pod)(close(1011, 'pod tenants/web-x-shop-x-dev (uid h-uid) is gone'));
  assert.equal(out.readUInt16BE(0), 1011);
  assert.equal(out.toString('utf8', 2), 'pod shop/web (uid v-uid) is gone');
});

test('a close without host names, or without a reason, is the same Buffer', () => {
  const rewrite = closePayloadRewrite(pod);
  for (const payload of [close(1000, 'bye'), close(1000, ''), Buffer.alloc(0)]) assert.equal(rewrite(payload), payload);
});

test('a re-worded reason longer than a close frame allows is cut to 123 bytes at a character boundary', () => {
  // Virtual names longer than the host's: the reason grows.
  const long: PodPair = { ...pod, namespace: 'a-rather-long-virtual-namespace', name: 'a-rather-long-virtual-pod-name' };
  const reason = `é pod ${pod.hostNamespace}/${pod.hostName} ` + 'é'.repeat(40);
  assert.ok(Buffer.byteLength(reason) <= MAX_CLOSE_REASON);
  const out = closePayloadRewrite(long)(close(1011, reason));
  assert.equal(out.readUInt16BE(0), 1011);
  assert.ok(out.length - 2 <= MAX_CLOSE_REASON, `reason of ${out.length - 2} bytes`);
  const text = out.toString('utf8', 2);
  assert.ok(!text.includes('\ufffd'), 'a character was cut');
  assert.match(text, /^é pod a-rather-long-virtual-namespace\/a-rather-long-virtual-pod-name é+$/);
  assert.doesNotMatch(text, /tenants|web-x/);
});

test('a host reason as long as allowed that ends inside a host name loses that name\'s start', () => {
  const lead = 'error: ';
  const rewrite = closePayloadRewrite(pod);
  for (const cut of ['web-x-sh', 'tena', 'h-u']) {
    const filler = 'x'.repeat(MAX_CLOSE_REASON - lead.length - cut.length - 1);
    const out = rewrite(close(1011, `${lead}${filler} ${cut}`)).toString('utf8', 2);
    assert.equal(out, `${lead}${filler} `, cut);
  }
  // The end of a longer word is not a host name.
  const word = `${'x'.repeat(MAX_CLOSE_REASON - 5)} xten`;
  assert.equal(closePayloadRewrite({ ...pod, hostNamespace: 'tenx' })(close(1011, word)).toString('utf8', 2), word);
});

test('utf8Prefix never cuts a character', () => {
  const b = Buffer.from('aé€😀');
  assert.equal(utf8Prefix(b, 100), b);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => utf8Prefix(b, n).toString()),
    ['a', 'a', 'aé', 'aé', 'aé', 'aé€', 'aé€', 'aé€', 'aé€', 'aé€😀']);
});
