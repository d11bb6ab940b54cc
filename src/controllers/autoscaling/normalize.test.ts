import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  limitWithBehavior, limitWithoutBehavior, normalizeWithBehavior, normalizeWithoutBehavior, scaleDownLimitWithRules,
  scaleUpLimitWithRules, stabilizeWithBehavior, storeScaleEvent, type Recommendation, type ScaleEvent, type ScalingRules,
} from './normalize.ts';
import { scaleDownRules, scaleUpRules } from './status.ts';

const T = 1_000_000_000;
const s = (n: number) => n * 1000;

test('without behavior: min and max bound the count, and a scale-up adds at most max(2 × current, 4)', () => {
  assert.deepEqual(limitWithoutBehavior(3, 5, 1, 10), { replicas: 5, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
  assert.deepEqual(limitWithoutBehavior(3, 12, 1, 10), { replicas: 6, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
  assert.deepEqual(limitWithoutBehavior(1, 12, 1, 10).replicas, 4);
  assert.deepEqual(limitWithoutBehavior(8, 12, 1, 10), { replicas: 10, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
  assert.deepEqual(limitWithoutBehavior(3, 1, 2, 10), { replicas: 2, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
});

test('without behavior: a scale-down takes the highest recommendation of the stabilization window', () => {
  const recs: Recommendation[] = [{ replicas: 3, atMs: T }];
  const args = { current: 3, min: 1, max: 10, downscaleWindowMs: s(300) };
  let n = normalizeWithoutBehavior(recs, { ...args, desired: 5, nowMs: T + s(15) });
  assert.equal(n.replicas, 5);
  assert.equal(n.ableReason, 'ReadyForNewScale');
  assert.equal(n.limited, false);
  n = normalizeWithoutBehavior(recs, { ...args, current: 5, desired: 2, nowMs: T + s(30) });
  assert.equal(n.replicas, 5);
  assert.deepEqual([n.ableReason, n.ableMessage], ['ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation']);
  // Five minutes after the recommendation of 5, the highest left is 2.
  n = normalizeWithoutBehavior(recs, { ...args, current: 5, desired: 2, nowMs: T + s(15) + s(301) });
  assert.equal(n.replicas, 2);
  // The old recommendations' slots are reused.
  assert.ok(recs.length <= 3);
  // Below the minimum: ScalingLimited.
  n = normalizeWithoutBehavior([], { ...args, current: 3, desired: 0, min: 1, nowMs: T });
  assert.deepEqual([n.replicas, n.limited, n.limitReason], [1, true, 'TooFewReplicas']);
});

test('with behavior: stabilization windows in each direction', () => {
  const recs: Recommendation[] = [{ replicas: 4, atMs: T }, { replicas: 8, atMs: T + s(20) }, { replicas: 6, atMs: T + s(40) }];
  // Scale-down window 60 s: the highest since then is 8.
  let r = stabilizeWithBehavior([...recs], { current: 8, desired: 2, upWindowSeconds: 0, downWindowSeconds: 60, nowMs: T + s(50) });
  assert.deepEqual(r, { replicas: 8, ableReason: 'ScaleDownStabilized', ableMessage: 'recent recommendations were higher than current one, applying the highest recent recommendation' });
  // Scale-up window 60 s: the lowest since then is 4.
  r = stabilizeWithBehavior([...recs], { current: 2, desired: 10, upWindowSeconds: 60, downWindowSeconds: 0, nowMs: T + s(50) });
  assert.deepEqual(r, { replicas: 4, ableReason: 'ScaleUpStabilized', ableMessage: 'recent recommendations were lower than current one, applying the lowest recent recommendation' });
  // No windows: the desired count.
  assert.equal(stabilizeWithBehavior([...recs], { current: 5, desired: 2, upWindowSeconds: 0, downWindowSeconds: 0, nowMs: T + s(50) }).replicas, 2);
  // The recommendation is recorded, in the slot of one older than both windows.
  const list: Recommendation[] = [{ replicas: 1, atMs: T }];
  stabilizeWithBehavior(list, { current: 1, desired: 3, upWindowSeconds: 10, downWindowSeconds: 10, nowMs: T + s(60) });
  assert.deepEqual(list, [{ replicas: 3, atMs: T + s(60) }]);
});

const pods = (value: number, periodSeconds = 60) => ({ type: 'Pods', value, periodSeconds });
const percent = (value: number, periodSeconds = 60) => ({ type: 'Percent', value, periodSeconds });
const rules = (policies: ScalingRules['policies'], selectPolicy = 'Max', stabilizationWindowSeconds = 0): ScalingRules => ({ policies, selectPolicy, stabilizationWindowSeconds });

test('scale-up policies: Max picks the largest change, Min the smallest, Disabled none', () => {
  assert.equal(scaleUpLimitWithRules(10, [], [], rules([pods(4), percent(100)]), T), 20);
  assert.equal(scaleUpLimitWithRules(2, [], [], rules([pods(4), percent(100)]), T), 6);
  assert.equal(scaleUpLimitWithRules(10, [], [], rules([pods(4), percent(100)], 'Min'), T), 14);
  assert.equal(scaleUpLimitWithRules(10, [], [], rules([pods(4)], 'Disabled'), T), 10);
  // Percent rounds up: 3 × 1.1 = 3.3 → 4.
  assert.equal(scaleUpLimitWithRules(3, [], [], rules([percent(10)]), T), 4);
  // Changes made within a policy's period count against it: 5 added 30 s ago, so the period began at 5.
  const up: ScaleEvent[] = [{ change: 5, atMs: T - s(30), outdated: false }];
  assert.equal(scaleUpLimitWithRules(10, up, [], rules([pods(4)]), T), 9);
  assert.equal(scaleUpLimitWithRules(10, up, [], rules([pods(4, 15)]), T), 14);
});

test('scale-down policies: Max picks the largest change, Min the smallest, Disabled none', () => {
  assert.equal(scaleDownLimitWithRules(10, [], [], rules([pods(4), percent(50)]), T), 5);
  assert.equal(scaleDownLimitWithRules(10, [], [], rules([pods(4), percent(50)], 'Min'), T), 6);
  assert.equal(scaleDownLimitWithRules(10, [], [], rules([percent(50)], 'Disabled'), T), 10);
  // Percent rounds toward zero: 5 × 0.5 = 2.5 → 2.
  assert.equal(scaleDownLimitWithRules(5, [], [], rules([percent(50)]), T), 2);
  const down: ScaleEvent[] = [{ change: 2, atMs: T - s(10), outdated: false }];
  assert.equal(scaleDownLimitWithRules(8, [], down, rules([pods(3)]), T), 7);
});

test('with behavior: the rate limits and the bounds set ScalingLimited', () => {
  const base = { min: 2, max: 20, upEvents: [], downEvents: [], nowMs: T, scaleUp: rules([pods(2)]), scaleDown: rules([pods(1)]) };
  assert.deepEqual(limitWithBehavior({ ...base, current: 5, desired: 10 }),
    { replicas: 7, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
  assert.deepEqual(limitWithBehavior({ ...base, current: 5, desired: 30, scaleUp: rules([pods(100)]) }),
    { replicas: 20, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
  assert.deepEqual(limitWithBehavior({ ...base, current: 5, desired: 1 }),
    { replicas: 4, reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' });
  assert.deepEqual(limitWithBehavior({ ...base, current: 5, desired: 1, scaleDown: rules([percent(100)]) }),
    { replicas: 2, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
  assert.equal(limitWithBehavior({ ...base, current: 5, desired: 1, scaleDown: rules([percent(100)], 'Disabled') }).replicas, 5);

  const n = normalizeWithBehavior([], { ...base, current: 5, desired: 10 });
  assert.deepEqual([n.replicas, n.ableReason, n.limited, n.limitReason], [7, 'ReadyForNewScale', true, 'ScaleUpLimit']);
});

test('the v2 defaults of spec.behavior', () => {
  const up = scaleUpRules(undefined);
  const down = scaleDownRules({ stabilizationWindowSeconds: 30 }, 300);
  assert.deepEqual(up, { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
  assert.deepEqual(down, { stabilizationWindowSeconds: 30, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  assert.equal(scaleDownRules({}, 300).stabilizationWindowSeconds, 300);
  // Default scale-up: double or +4 per 15 s, whichever is more.
  assert.equal(scaleUpLimitWithRules(1, [], [], up, T), 5);
  assert.equal(scaleUpLimitWithRules(10, [], [], up, T), 20);
  // Default scale-down: everything at once (to minReplicas).
  assert.equal(scaleDownLimitWithRules(10, [], [], down, T), 0);
});

test('scale events are kept for the longest policy period, their slots reused after', () => {
  const events: ScaleEvent[] = [];
  const r = rules([pods(4, 15), percent(100, 60)]);
  storeScaleEvent(events, r, 2, T);
  storeScaleEvent(events, r, 3, T + s(30));
  assert.equal(events.length, 2);
  storeScaleEvent(events, r, 1, T + s(61));
  assert.deepEqual(events.map((e) => e.change), [1, 3]);
  assert.equal(scaleUpLimitWithRules(10, events, [], rules([pods(1, 60)]), T + s(62)), 7);
});
