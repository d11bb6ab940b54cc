import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { hasStrategy, strategyFor } from './index.ts';
import { kindFixtures } from './kinds.fixtures.ts';
import { clone, messages, runCreate, runUpdate } from './testing.ts';

const nsOf = (namespaced: boolean): string | undefined => (namespaced ? 'default' : undefined);

test('every kind has a dedicated strategy', () => {
  for (const f of kindFixtures) assert.ok(hasStrategy(f.group, f.version, f.kind), `${f.group}/${f.version}/${f.kind}`);
  assert.ok(!hasStrategy('example.com', 'v1', 'Widget'));
});

test('a realistic object of every kind is valid on create and on a no-op update', () => {
  for (const f of kindFixtures) {
    const s = strategyFor(f.group, f.version, f.kind);
    const { obj, errors } = runCreate(s, f.obj, { namespace: nsOf(f.namespaced) });
    assert.deepEqual(messages(errors), [], `${f.kind} create`);
    const upd = runUpdate(s, clone(obj), obj);
    assert.deepEqual(messages(upd.errors), [], `${f.kind} update`);
  }
});

test('defaults are idempotent', () => {
  for (const f of kindFixtures) {
    const s = strategyFor(f.group, f.version, f.kind);
    const { obj } = runCreate(s, f.obj, { namespace: nsOf(f.namespaced) });
    const again = clone(obj);
    s.defaults?.(again);
    assert.deepEqual(again, obj, f.kind);
  }
});

test('namespace scope is enforced per kind', () => {
  for (const f of kindFixtures) {
    if (f.kind === 'Event' && f.group === '') continue; // core events skip ObjectMeta validation
    const s = strategyFor(f.group, f.version, f.kind);
    const { errors } = runCreate(s, f.obj, { namespace: f.namespaced ? '' : 'default' });
    const fields = errors.map((e) => `${e.field}|${e.type}`);
    if (f.namespaced) assert.ok(fields.includes('metadata.namespace|FieldValueRequired'), `${f.kind}: ${fields.join(',')}`);
    else assert.ok(fields.includes('metadata.namespace|FieldValueForbidden'), `${f.kind}: ${fields.join(',')}`);
  }
});

test('names are checked with the kind\'s rule', () => {
  const rule: Record<string, 'subdomain' | 'label' | 'dns1035' | 'path'> = {
    Namespace: 'label', Service: 'dns1035', StatefulSet: 'label', Role: 'path', ClusterRole: 'path', RoleBinding: 'path',
    ClusterRoleBinding: 'path', Event: 'path', CertificateSigningRequest: 'path',
  };
  for (const f of kindFixtures) {
    if (f.kind === 'CSIDriver' || (f.kind === 'Event' && f.group !== '')) continue;
    const s = strategyFor(f.group, f.version, f.kind);
    const expected = rule[f.kind] ?? 'subdomain';
    const probe = (name: string): string[] => {
      const o = clone(f.obj) as any;
      o.metadata.name = name;
      return runCreate(s, o, { namespace: nsOf(f.namespaced) }).errors.filter((e) => e.field === 'metadata.name').map((e) => e.detail ?? '');
    };
    if (expected === 'path') {
      assert.deepEqual(probe('Upper_Case'), [], f.kind);
      assert.deepEqual(probe('a%b'), ["may not contain '%'"], f.kind);
    } else {
      assert.equal(probe('Upper_Case').length, 1, f.kind);
      assert.deepEqual(probe('a.b').length, expected === 'subdomain' ? 0 : 1, f.kind);
    }
    if (expected === 'dns1035') assert.equal(probe('1abc').length, 1, f.kind);
  }
});

test('generation is tracked exactly for the kinds upstream tracks it for', () => {
  const tracked = new Set(['Pod', 'PodTemplate', 'ReplicationController', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob',
    'PodDisruptionBudget', 'EndpointSlice', 'Ingress', 'IngressClass', 'NetworkPolicy', 'ValidatingWebhookConfiguration',
    'MutatingWebhookConfiguration', 'FlowSchema', 'PriorityLevelConfiguration']);
  for (const f of kindFixtures) {
    assert.equal(strategyFor(f.group, f.version, f.kind).specFields !== undefined, tracked.has(f.kind), f.kind);
  }
});

// ---- robustness: no body may make a strategy throw ----------------------------------

const junk: unknown[] = ['x', '', 0, -1, 1.5, true, null, [], ['x'], [1], {}, { a: 1 }, [{}], [null]];

/** Every path in a JSON value (as key lists). */
function paths(v: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

function setAt(root: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = clone(root) as any;
  let cur = copy;
  for (const k of path.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k];
  }
  cur[path[path.length - 1] as string | number] = value;
  return copy;
}

test('wrong JSON types anywhere never throw', () => {
  for (const f of kindFixtures) {
    const s = strategyFor(f.group, f.version, f.kind);
    const { obj: base } = runCreate(s, f.obj, { namespace: nsOf(f.namespaced) });
    const targets = [...paths(f.obj).filter((p) => p.length > 0), ['spec', 'template', 'spec'], ['spec', 'selector'], ['metadata', 'labels']];
    for (const p of targets) {
      for (const j of junk) {
        const body = setAt(f.obj, p, j);
        let created: KubeObject | undefined;
        assert.doesNotThrow(() => { created = runCreate(s, body, { namespace: nsOf(f.namespaced) }).obj; }, `${f.kind} create ${p.join('.')}=${JSON.stringify(j)}`);
        assert.doesNotThrow(() => runUpdate(s, setAt(base, p, j), base), `${f.kind} update ${p.join('.')}=${JSON.stringify(j)}`);
        if (created) assert.doesNotThrow(() => runUpdate(s, clone(base), created as KubeObject), `${f.kind} update from junk ${p.join('.')}`);
      }
    }
  }
});

test('the whole body being junk never throws', () => {
  for (const f of kindFixtures) {
    const s = strategyFor(f.group, f.version, f.kind);
    for (const j of junk) {
      assert.doesNotThrow(() => runCreate(s, { metadata: { name: 'x' }, spec: j, data: j, status: j, rules: j, webhooks: j, subsets: j }, { namespace: 'default' }), f.kind);
      assert.doesNotThrow(() => runCreate(s, { metadata: j }, { namespace: 'default' }), f.kind);
    }
  }
});
