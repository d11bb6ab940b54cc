import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, openTestCluster } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../api/types.ts';
import { startReplicationControllerController } from './replicationcontroller.ts';
import { startReplicaSetController } from './replicaset.ts';
import { eventsFor, fakeKubelet, get, listIn, ownedBy } from './testing.ts';
import { isPodActive } from './util.ts';

test('a ReplicationController keeps its pods, next to a ReplicaSet controller', async () => {
  const e = await openTestCluster();
  const stops = [startReplicationControllerController(e.ctx), startReplicaSetController(e.ctx)];
  const kubelet = fakeKubelet(e.vc);
  const rcDef = e.ctx.def('', 'v1', 'replicationcontrollers');
  const rc = () => get(e.vc, '', 'replicationcontrollers', 'legacy') as KubeObject;
  const pods = () => ownedBy(listIn(e.vc, '', 'pods'), rc()).filter(isPodActive);
  try {
    // The selector defaults from the template's labels.
    await e.vc.store.create(rcDef, 'default', {
      metadata: { name: 'legacy' },
      spec: { replicas: 2, template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    await eventually(() => (rc().status as any)?.availableReplicas === 2, 5000, 'available');
    assert.deepEqual(rc().status, { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
    for (const p of pods()) {
      assert.match(p.metadata.name as string, /^legacy-\w{5}$/);
      assert.deepEqual(p.metadata.ownerReferences, [{
        apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: rc().metadata.uid, controller: true, blockOwnerDeletion: true,
      }]);
    }
    await eventually(() => eventsFor(e.vc, 'legacy').length === 2, 2000, 'two events');
    const evs = eventsFor(e.vc, 'legacy');
    assert.ok(evs.every((x) => x.reason === 'SuccessfulCreate' && x.source === 'replication-controller'));

    await e.vc.store.guaranteedUpdate(rcDef, 'default', 'legacy', (cur) => { (cur!.spec as any).replicas = 4; return cur!; });
    await eventually(() => (rc().status as any)?.availableReplicas === 4 && pods().length === 4, 5000, 'scaled up');
    await e.vc.store.guaranteedUpdate(rcDef, 'default', 'legacy', (cur) => { (cur!.spec as any).replicas = 1; return cur!; });
    await eventually(() => (rc().status as any)?.replicas === 1 && pods().length === 1 && (rc().status as any)?.observedGeneration === 3, 5000, 'scaled down');
    // Events are written off the controller's path: the last one may land just after the pod count settles.
    await eventually(() => eventsFor(e.vc, 'legacy').filter((x) => x.reason === 'SuccessfulDelete').length === 3, 2000, 'three SuccessfulDelete events');
  } finally {
    for (const s of stops) s();
    await kubelet.stop();
    await new Promise((r) => setTimeout(r, 20));
    await e.close();
  }
});
