import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodPair } from './streams-errors.ts';
import { limitBytesOf, LogTailRewriter, type LogTailOptions } from './streams-logs.ts';
import { rewordBytes } from './streams-rewrite.ts';

const pod: PodPair = {
  namespace: 'shop', name: 'web', hostNamespace: 'tenants', hostName: 'web-x-shop-x-dev', uid: 'v-uid', hostUid: 'h-uid',
};
/** The container's own lines: they name the host pod (its host name) and stay as they are. */
const lines = 'starting on web-x-shop-x-dev\nnamespace tenants, uid h-uid\n';
/** What the kubelet appends to a log it had begun when reading it fails (no newline after it). */
const hostError = 'failed to watch file "/var/log/pods/tenants_web-x-shop-x-dev_h-uid/app/0.log": no space left on device';
const virtualError = 'failed to watch file "/var/log/pods/shop_web_v-uid/app/0.log": no space left on device';

function rewriter(options: Partial<LogTailOptions> = {}): LogTailRewriter {
  return new LogTailRewriter({ rewrite: rewordBytes(pod), ...options });
}

/** What the rewriter hands on for `input` written in pieces of `step` bytes, then ended. */
async function through(t: LogTailRewriter, input: string, step = input.length): Promise<string> {
  const out: Buffer[] = [];
  t.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise((resolve) => t.once('end', resolve));
  const bytes = Buffer.from(input);
  for (let i = 0; i < bytes.length; i += step) t.write(bytes.subarray(i, i + step));
  t.end();
  await ended;
  return Buffer.concat(out).toString();
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('the text the host appends to a failed log is re-worded; the container\'s lines are not, fed whole or in pieces', async () => {
  for (const step of [10_000, 1, 7, lines.length + 20]) {
    assert.equal(await through(rewriter(), lines + hostError, step), lines + virtualError, `step ${step}`);
  }
  // Nothing appended: the log passes as it came.
  assert.equal(await through(rewriter(), lines, 3), lines);
  // An error alone (the log had no line yet).
  assert.equal(await through(rewriter(), hostError, 5), virtualError);
});

test('complete lines go out at once; only an unterminated rest is held', async () => {
  const t = rewriter();
  const out: string[] = [];
  t.on('data', (b: Buffer) => out.push(b.toString()));
  t.write('one\ntwo\nthr');
  await tick();
  assert.deepEqual(out, ['one\ntwo\n']);
  t.write('ee\n');
  await tick();
  assert.deepEqual(out, ['one\ntwo\n', 'three\n']);
  t.end();
});

test('a partial line the host leaves alone goes out as it is after a quiet while; what follows is held anew', async () => {
  const t = rewriter({ quietMs: 20 });
  const out: string[] = [];
  t.on('data', (b: Buffer) => out.push(b.toString()));
  const ended = new Promise((resolve) => t.once('end', resolve));
  t.write('progress web-x-shop-x-dev 50%');
  await tick(60);
  assert.deepEqual(out, ['progress web-x-shop-x-dev 50%']);
  t.end(hostError);
  await ended;
  assert.deepEqual(out, ['progress web-x-shop-x-dev 50%', virtualError]);
});

test('a long unterminated line goes out as it comes but for its last bytes, which are re-worded if the log ends there', async () => {
  const long = 'x'.repeat(10_000);
  const t = rewriter({ maxTail: 1024 });
  const out: Buffer[] = [];
  t.on('data', (b: Buffer) => out.push(b));
  t.write(long);
  await tick();
  assert.equal(Buffer.concat(out).length, long.length - 1024);
  const ended = new Promise((resolve) => t.once('end', resolve));
  t.end(hostError);
  await ended;
  assert.equal(Buffer.concat(out).toString(), long + virtualError);
});

test('a log the host cut at limitBytes is the container\'s: not re-worded', async () => {
  const body = lines + 'last web-x-shop-x-dev';
  assert.equal(await through(rewriter({ limitBytes: Buffer.byteLength(body) }), body), body);
  // Longer than the limit: something came after the cut.
  assert.equal(await through(rewriter({ limitBytes: 10 }), lines + hostError), lines + virtualError);
  assert.equal(limitBytesOf(new URLSearchParams('limitBytes=6')), 6);
  assert.equal(limitBytesOf(new URLSearchParams('limitBytes=0')), undefined);
  assert.equal(limitBytesOf(new URLSearchParams('limitBytes=x')), undefined);
  assert.equal(limitBytesOf(new URLSearchParams('')), undefined);
});

test('released (the log ends without the host ending it): what is held goes out as it is, and what comes after', async () => {
  const t = rewriter();
  const out: string[] = [];
  t.on('data', (b: Buffer) => out.push(b.toString()));
  const ended = new Promise((resolve) => t.once('end', resolve));
  t.write('partial web-x-shop-x-dev');
  await tick();
  assert.deepEqual(out, []);
  t.release();
  t.end('more web-x-shop-x-dev');
  await ended;
  assert.equal(out.join(''), 'partial web-x-shop-x-devmore web-x-shop-x-dev');
});
