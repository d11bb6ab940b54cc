import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { PodIndex } from './pod-index.ts';
import type { PodInfo } from './pod-index.ts';
import { podTerms } from './pod-terms.ts';

function info(name: string, node: string, labels: Record<string, string>, ns = 'ns', affinity?: unknown): PodInfo {
  const pod = { metadata: { name, namespace: ns, labels }, spec: { affinity } } as KubeObject;
  return { key: `${ns}/${name}`, namespace: ns, name, uid: name, labels, node, priority: 0, terminating: false, startTime: '', terms: podTerms(pod), pod };
}

test('counters are built once and kept up to date as pods come, move and go', () => {
  const ix = new PodIndex();
  ix.set('ns/a', info('a', 'n1', { app: 'web' }));
  ix.set('ns/b', info('b', 'n1', { app: 'web' }));
  ix.set('other/c', info('c', 'n2', { app: 'web' }, 'other'));
  const web = (p: PodInfo) => p.labels.app === 'web';
  const c = ix.counter('web@ns', ['ns'], web);
  assert.deepEqual([...c.perNode], [['n1', 2]]);
  ix.set('ns/d', info('d', 'n2', { app: 'web' }));
  ix.set('other/e', info('e', 'n2', { app: 'web' }, 'other'));
  assert.deepEqual([...c.perNode].sort(), [['n1', 2], ['n2', 1]]);
  // Moved, relabelled, removed.
  ix.set('ns/a', info('a', 'n2', { app: 'web' }));
  ix.set('ns/b', info('b', 'n1', { app: 'db' }));
  ix.set('ns/d', undefined);
  assert.deepEqual([...c.perNode], [['n2', 1]]);
  assert.equal(ix.counter('web@ns', ['ns'], () => false), c, 'the same id gives the same counter');
  const any = ix.counter('web@any', undefined, web);
  assert.deepEqual([...any.perNode], [['n2', 3]]);
  ix.forgetAnyNamespaceCounters();
  assert.notEqual(ix.counter('web@any', undefined, web), any);
  assert.equal([...ix.podsOn('n2')].length, 3);
});

test('pods with affinity terms are kept apart', () => {
  const ix = new PodIndex();
  const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { a: 'b' } }, topologyKey: 'k' }] } };
  const soft = { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 3, podAffinityTerm: { labelSelector: {}, topologyKey: 'k' } }] } };
  ix.set('ns/x', info('x', 'n1', {}, 'ns', anti));
  ix.set('ns/y', info('y', 'n1', {}, 'ns', soft));
  ix.set('ns/z', info('z', 'n1', {}));
  assert.deepEqual([...ix.withRequiredAnti].map((p) => p.name), ['x']);
  assert.deepEqual([...ix.withAffinity].map((p) => p.name).sort(), ['x', 'y']);
  ix.set('ns/x', undefined);
  assert.equal(ix.withRequiredAnti.size, 0);
  assert.equal(ix.get('ns/y')?.terms.preferredAffinity[0]?.weight, 3);
});
