import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../flags.ts';
import { parseServeArgs, parseUpArgs, UP_HELP } from './up.ts';

test('up and serve take kube-controller-manager\'s --horizontal-pod-autoscaler-* flags', () => {
  const o = parseUpArgs([
    '--horizontal-pod-autoscaler-sync-period', '1s', '--horizontal-pod-autoscaler-downscale-stabilization=1m30s',
    '--horizontal-pod-autoscaler-cpu-initialization-period', '0s', '--horizontal-pod-autoscaler-initial-readiness-delay', '500ms',
    '--horizontal-pod-autoscaler-tolerance', '0.05',
  ]);
  assert.notEqual(o, 'help');
  assert.deepEqual(o !== 'help' && o.horizontalPodAutoscaler, {
    syncPeriodMs: 1000, downscaleStabilizationMs: 90_000, cpuInitializationPeriodMs: 0, initialReadinessDelayMs: 500, tolerance: 0.05,
  });
  const s = parseServeArgs(['--horizontal-pod-autoscaler-sync-period', '2s']);
  assert.deepEqual(s !== 'help' && s.horizontalPodAutoscaler, { syncPeriodMs: 2000 });
  const plain = parseUpArgs([]);
  assert.equal(plain !== 'help' && plain.horizontalPodAutoscaler, undefined);
  assert.throws(() => parseUpArgs(['--horizontal-pod-autoscaler-sync-period', '15']),
    (e: unknown) => e instanceof UsageError && /must be a duration/.test(e.message));
  assert.throws(() => parseUpArgs(['--horizontal-pod-autoscaler-sync-period', '0s']), UsageError);
  assert.throws(() => parseUpArgs(['--horizontal-pod-autoscaler-tolerance', '-1']), UsageError);
  assert.match(UP_HELP, /--horizontal-pod-autoscaler-sync-period duration .*\(default 15s\)/);
});
