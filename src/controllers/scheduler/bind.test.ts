import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.ts';
import { openTestCluster } from '../../../test/support/cluster.ts';
import type { PodStatus } from '../../nodes/api.ts';
import { bindPod } from './bind.ts';

test('a binding carrying a status: one write, the status owned by its manager, the binding by no one', async () => {
  const tc = await openTestCluster();
  try {
    const pods = tc.ctx.def('', 'v1', 'pods');
    const made = await tc.vc.store.create(pods, 'default', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const status = {
      of: (bound: Record<string, any>) => ({ ...bound.status, phase: 'Running', hostIP: '10.1.0.1', podIP: '10.2.0.7' }),
      fieldManager: 'test-syncer',
    };
    const out = await bindPod(tc.vc, pods, 'default', 'p', 'node-1', { uid: made.metadata.uid, status });
    assert.equal(Number(out.metadata.resourceVersion), Number(made.metadata.resourceVersion) + 1, 'a single write');
    assert.equal((out.spec as { nodeName?: string }).nodeName, 'node-1');
    const st = out.status as PodStatus;
    assert.equal(st.phase, 'Running');
    assert.equal(st.podIP, '10.2.0.7');
    assert.equal(st.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True', 'the binding condition is kept');
    const entry = out.metadata.managedFields?.find((m) => m.manager === 'test-syncer');
    assert.equal(entry?.subresource, 'status');
    const owned = JSON.stringify(entry?.fieldsV1);
    assert.match(owned, /"f:podIP"/);
    assert.match(owned, /"f:hostIP"/);
    assert.doesNotMatch(owned, /f:nodeName/, 'spec.nodeName is not the status manager\'s');
    // A second binding is refused as before, and changes nothing.
    await assert.rejects(bindPod(tc.vc, pods, 'default', 'p', 'node-2', { status }), (e: unknown) => e instanceof ApiError && e.code === 409);
    assert.equal(tc.vc.store.peek(pods, 'default', 'p')?.metadata.resourceVersion, out.metadata.resourceVersion);
  } finally {
    await tc.close();
  }
});
