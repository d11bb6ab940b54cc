import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FairDispatcher } from './fair-queue.ts';

test('past the limit, clusters take turns whatever their queue lengths', async () => {
  const d = new FairDispatcher<string>(2);
  const order: string[] = [];
  const held = [await d.acquire('flood'), await d.acquire('flood')];
  const pending: Promise<void>[] = [];
  const req = (k: string, i: number) => pending.push(Promise.resolve(d.acquire(k)).then((release) => { order.push(`${k}${i}`); release(); }));
  for (let i = 0; i < 5; i++) req('flood', i);
  req('quiet', 0);
  assert.deepEqual(d.stats, { running: 2, waiting: 6 });
  for (const r of held) r();
  await Promise.all(pending);
  // The quiet cluster's one request runs second, not after the five flood requests.
  assert.deepEqual(order.slice(0, 3), ['flood0', 'quiet0', 'flood1']);
  assert.deepEqual(d.stats, { running: 0, waiting: 0 });
});

test('a release counts once', async () => {
  const d = new FairDispatcher<string>(1);
  const r = await d.acquire('a');
  r();
  r();
  assert.deepEqual(d.stats, { running: 0, waiting: 0 });
});
