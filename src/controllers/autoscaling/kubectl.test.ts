// kubectl's autoscaling workflow against an in-process server running every
// controller of a standalone cluster (simulated nodes, their Metrics API, the
// HPA controller started with the first HPA): autoscale, get hpa, describe hpa,
// patch the behavior, and the Deployment scaled up and down.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasKubectl, kubectl, startInProcessServer } from '../../../test/support/in-process-server.ts';
import { startClusterControllers } from '../index.ts';

async function until(what: string, cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('kubectl autoscale, get hpa, describe hpa: scale up on CPU, down after the window', { timeout: 120_000 }, async (t) => {
  if (!(await hasKubectl())) { t.skip('kubectl is not installed'); return; }
  const server = await startInProcessServer('hpa', (vc) => startClusterControllers(vc, {
    nodes: 2, caCert: 'unused', horizontalPodAutoscaler: { syncPeriodMs: 250, cpuInitializationPeriodMs: 0 },
  }));
  try {
    const k = async (...args: string[]) => {
      const r = await kubectl(server.env, args);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.out}`);
      return r.stdout;
    };
    const usage = (cpu: string) => JSON.stringify({ spec: { template: { metadata: { annotations: { 'kubevisor.dev/usage-cpu': cpu } } } } });
    const replicas = () => k('get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas} {.status.readyReplicas}');

    await k('create', 'deployment', 'web', '--image=nginx', '--replicas=1');
    await k('set', 'resources', 'deployment/web', '--requests=cpu=100m');
    await k('patch', 'deployment/web', '-p', usage('180m'));
    await k('rollout', 'status', 'deploy/web', '--timeout=60s');
    assert.match(await k('autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=4'), /horizontalpodautoscaler.autoscaling\/web autoscaled/);

    await until('180% shown', async () => /^web\s+Deployment\/web\s+cpu: 180%\/50%\s+1\s+4\s/m.test(await k('get', 'hpa')));
    await until('4 ready replicas', async () => (await replicas()) === '4 4');
    await until('ScalingLimited', async () => /ScalingLimited\s+True\s+TooManyReplicas/.test(await k('describe', 'hpa', 'web')));
    const described = await k('describe', 'hpa', 'web');
    assert.match(described, /AbleToScale\s+True\s+ReadyForNewScale\s+recommended size matches current size/);
    assert.match(described, /ScalingActive\s+True\s+ValidMetricFound\s+the HPA was able to successfully calculate a replica count from cpu resource utilization \(percentage of request\)/);
    assert.match(described, /resource cpu on pods\s+\(as a percentage of request\):\s+180% \(180m\) \/ 50%/);
    assert.match(described, /Normal\s+SuccessfulRescale\s+.*horizontal-pod-autoscaler\s+New size: 4; reason: cpu resource utilization \(percentage of request\) above target/);

    await k('patch', 'hpa.v2.autoscaling', 'web', '--type=merge', '-p', '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":3}}}}');
    const lowered = Date.now();
    await k('patch', 'deployment/web', '-p', usage('10m'));
    await until('scaled down to 1', async () => (await replicas()).startsWith('1 '), 60_000);
    assert.ok(Date.now() - lowered >= 3000, 'not before the stabilization window');
    await until('10% shown', async () => /^web\s+Deployment\/web\s+cpu: 10%\/50%\s+1\s+4\s+1\s/m.test(await k('get', 'hpa')));
    assert.match(await k('describe', 'hpa', 'web'), /New size: 1; reason: All metrics below target/);
  } finally {
    await server.close();
  }
});
