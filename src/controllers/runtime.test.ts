import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Controller } from './runtime.ts';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

test('workers reconcile different keys at once, never one key twice at once', async () => {
  let running = 0, peak = 0;
  const perKey = new Map<string, number>();
  const runs: string[] = [];
  const release: (() => void)[] = [];
  const c = new Controller('t', async (key) => {
    running++; peak = Math.max(peak, running);
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
    assert.equal(perKey.get(key), 1, `${key} reconciled twice at once`);
    runs.push(key);
    await new Promise<void>((r) => release.push(r));
    perKey.set(key, (perKey.get(key) ?? 1) - 1);
    running--;
  }, { workers: 3 });
  for (const k of ['a', 'b', 'c', 'd']) c.enqueue(k);
  await tick();
  assert.equal(running, 3);
  c.enqueue('a'); // while a runs: once more afterwards
  c.enqueue('a');
  while (release.length > 0 || running > 0) { release.splice(0).forEach((r) => r()); await tick(); }
  assert.equal(peak, 3);
  assert.deepEqual(runs.filter((k) => k === 'a').length, 2);
  assert.deepEqual([...runs].sort(), ['a', 'a', 'b', 'c', 'd']);
  await c.stop();
});

test('one worker keeps arrival order; a failing reconcile is retried with backoff and others go on', async () => {
  const seen: string[] = [];
  let failures = 0;
  const errors: string[] = [];
  const orig = console.error;
  console.error = (m: string) => { errors.push(m); };
  try {
    const c = new Controller('t', async (key) => {
      seen.push(key);
      if (key === 'bad' && failures++ < 2) throw new Error('boom');
    });
    for (const k of ['x', 'bad', 'y']) c.enqueue(k);
    await tick(100);
    assert.deepEqual(seen, ['x', 'bad', 'y', 'bad', 'bad']);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /controller t: bad: boom/);
    await c.stop();
  } finally {
    console.error = orig;
  }
});

test('stop waits for reconciles under way and drops queued keys', async () => {
  let finished = 0;
  const seen: string[] = [];
  const c = new Controller('t', async (key) => { seen.push(key); await tick(20); finished++; }, { workers: 2 });
  for (const k of ['a', 'b', 'c']) c.enqueue(k);
  await tick();
  await c.stop();
  assert.equal(finished, 2);
  c.enqueue('d');
  await tick(30);
  assert.deepEqual(seen, ['a', 'b']);
});

test('a requeue asked for sooner than one already waiting wins; a later one does not delay it', async () => {
  const runs: string[] = [];
  let asks = [5000, 20, 10_000];
  const c = new Controller('t', async (key) => {
    runs.push(key);
    const ms = asks.shift();
    return ms === undefined ? undefined : { requeueAfterMs: ms };
  });
  c.enqueue('k'); // asks for 5 s
  await tick(5);
  c.enqueue('k'); // asks for 20 ms: runs then, not in 5 s
  await tick(60);
  assert.deepEqual(runs, ['k', 'k', 'k']);
  // The third asked for 10 s: a sooner ask replaces it, and a later one does not push that back.
  asks = [50, 10_000];
  c.enqueue('k'); // asks for 50 ms
  await tick(5);
  c.enqueue('k'); // asks for 10 s
  await tick(5);
  assert.equal(runs.length, 5);
  await tick(100);
  assert.equal(runs.length, 6, 'the 50 ms requeue ran');
  await c.stop();
});

test('backlog counts the keys waiting and under way, not those waiting out a delay', async () => {
  const release: (() => void)[] = [];
  const c = new Controller('t', async (key) => {
    if (key === 'later') return { requeueAfterMs: 10_000 };
    await new Promise<void>((r) => release.push(r));
  }, { workers: 1 });
  assert.equal(c.backlog, 0);
  c.enqueue('a');
  c.enqueue('b');
  await tick();
  assert.equal(c.backlog, 2, 'one under way, one waiting');
  release.shift()!();
  await tick();
  release.shift()!();
  await tick();
  assert.equal(c.backlog, 0);
  c.enqueue('later');
  await tick(5);
  assert.equal(c.backlog, 0, 'a delayed requeue is not backlog');
  await c.stop();
});
