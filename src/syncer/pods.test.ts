import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../api/types.ts';
import { podUpdate } from './pods.ts';

const pod = (labels: Record<string, string>, annotations: Record<string, string>, image: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels, annotations },
  spec: { containers: [{ name: 'app', image }, { name: 'side', image: 'busybox' }], ...extra },
});

test('podUpdate: nothing when equal; labels replaced (removed ones null), annotations added or changed, images by name', () => {
  assert.equal(podUpdate(pod({ a: '1' }, { x: '1' }, 'nginx:1'), pod({ a: '1' }, { x: '1' }, 'nginx:1')), undefined);
  // The host's own annotations stay; ours are set.
  assert.equal(podUpdate(pod({ a: '1' }, { x: '1', hostonly: 'y' }, 'nginx:1'), pod({ a: '1' }, { x: '1' }, 'nginx:1')), undefined);
  assert.deepEqual(podUpdate(pod({ a: '1', gone: 'z' }, { x: '1' }, 'nginx:1'), pod({ a: '2' }, { x: '2' }, 'nginx:2')), {
    metadata: { labels: { a: '2', gone: null }, annotations: { x: '2' } },
    spec: { containers: [{ name: 'app', image: 'nginx:2' }] },
  });
});

test('podUpdate: activeDeadlineSeconds, and tolerations only added to what the host has', () => {
  const t1 = { key: 'k', operator: 'Exists' };
  const hostDefault = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  const have = pod({}, {}, 'i', { tolerations: [hostDefault] });
  assert.equal(podUpdate(have, pod({}, {}, 'i')), undefined, 'tolerations the host added stay');
  assert.deepEqual(podUpdate(have, pod({}, {}, 'i', { tolerations: [t1], activeDeadlineSeconds: 30 })), {
    spec: { activeDeadlineSeconds: 30, tolerations: [hostDefault, t1] },
  });
});
