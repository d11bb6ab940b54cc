import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, defaultBackoff } from './backoff.ts';

test('backoff doubles from the initial delay up to the cap; jitter only shortens it', () => {
  const none = () => 0;
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, defaultBackoff, none)),
    [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  assert.equal(backoffDelay(100, defaultBackoff, none), 30000);
  // Full random draw: half the delay with the default jitter of 0.5.
  assert.equal(backoffDelay(1, defaultBackoff, () => 1), 400);
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(20, { initialMs: 100, maxMs: 1000 });
    assert.ok(d >= 500 && d <= 1000, String(d));
  }
});
