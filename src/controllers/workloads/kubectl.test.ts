// kubectl's deployment workflow against a server running the workload
// controllers (with a stand-in kubelet that makes every pod Ready):
// create, rollout status, wait, set image, history, undo, scale, pause,
// resume and describe.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { hasKubectl, kubectl, startInProcessServer } from '../../../test/support/in-process-server.ts';
import type { VirtualCluster } from '../../server/cluster.ts';
import { controllerContext } from '../context.ts';
import { startDeploymentController } from './deployment.ts';
import { startReplicaSetController } from './replicaset.ts';
import { fakeKubelet, listIn } from './testing.ts';

test('kubectl rollout, scale, set image, undo, pause, resume, wait and describe', { timeout: 180_000 }, async (t) => {
  if (!(await hasKubectl())) { t.skip('kubectl is not installed'); return; }
  let vc: VirtualCluster | undefined;
  const server = await startInProcessServer('rollout', (cluster) => {
    vc = cluster;
    const ctx = controllerContext(cluster);
    const stops = [startReplicaSetController(ctx), startDeploymentController(ctx)];
    const kubelet = fakeKubelet(cluster, { delayMs: 20 });
    return () => { for (const s of stops) s(); void kubelet.stop(); };
  });
  try {
    const env = server.env;
    const k = async (...args: string[]) => {
      const r = await kubectl(env, args);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.out}`);
      return r.out;
    };

    await k('create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3');
    assert.match(await k('rollout', 'status', 'deployment/web', '--timeout=60s'), /deployment "web" successfully rolled out/);
    assert.match(await k('wait', '--for=condition=Available', 'deployment/web', '--timeout=30s'), /deployment.apps\/web condition met/);

    // As upstream, the deployment's annotations are copied to its current ReplicaSet.
    await k('set', 'image', 'deployment/web', 'nginx=nginx:1.26');
    await k('annotate', 'deployment/web', 'kubernetes.io/change-cause=image 1.26');
    assert.match(await k('rollout', 'status', 'deployment/web', '--timeout=60s'), /successfully rolled out/);
    const history = await k('rollout', 'history', 'deployment/web');
    assert.match(history, /^1\s+<none>$/m);
    assert.match(history, /^2\s+image 1\.26$/m);
    assert.match(await k('rollout', 'history', 'deployment/web', '--revision=1'), /Image:\s+nginx:1\.25/);

    assert.match(await k('rollout', 'undo', 'deployment/web'), /deployment.apps\/web rolled back/);
    assert.match(await k('rollout', 'status', 'deployment/web', '--timeout=60s'), /successfully rolled out/);
    const after = await k('rollout', 'history', 'deployment/web');

    assert.match(after, /^2\s+image 1\.26$/m);
    assert.match(after, /^3\s+<none>$/m);
    assert.doesNotMatch(after, /^1\s/m);
    assert.equal(await k('get', 'deployment/web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'), 'nginx:1.25');

    await k('scale', 'deployment/web', '--replicas=5');
    assert.match(await k('rollout', 'status', 'deployment/web', '--timeout=60s'), /successfully rolled out/);
    assert.equal(await k('get', 'deployment/web', '-o', 'jsonpath={.status.availableReplicas}'), '5');

    await k('rollout', 'pause', 'deployment/web');
    await k('set', 'image', 'deployment/web', 'nginx=nginx:1.27');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(listIn(vc as VirtualCluster, 'apps', 'replicasets').length, 2);
    const undoPaused = await kubectl(env, ['rollout', 'undo', 'deployment/web']);
    assert.notEqual(undoPaused.code, 0);
    assert.match(undoPaused.out, /you cannot rollback a paused deployment/);
    await k('rollout', 'resume', 'deployment/web');
    assert.match(await k('rollout', 'status', 'deployment/web', '--timeout=60s'), /successfully rolled out/);
    assert.equal(listIn(vc as VirtualCluster, 'apps', 'replicasets').length, 3);

    const describe = await k('describe', 'deployment', 'web');
    assert.match(describe, /Replicas:\s+5 desired \| 5 updated \| 5 total \| 5 available \| 0 unavailable/);
    assert.match(describe, /StrategyType:\s+RollingUpdate/);
    assert.match(describe, /Available\s+True\s+MinimumReplicasAvailable/);
    assert.match(describe, /Progressing\s+True\s+NewReplicaSetAvailable/);
    assert.match(describe, /NewReplicaSet:\s+web-\w+ \(5\/5 replicas created\)/);
    assert.match(describe, /ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set web-\w+ from 0 to 3/);

    assert.match(await k('get', 'rs', '-l', 'app=web'), /web-\w+\s+5\s+5\s+5/);
  } finally {
    await server.close();
  }
});
