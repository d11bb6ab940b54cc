import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import { readSpec } from '../server/tenancy/spec.ts';
import {
  ANN_POD_SECURITY, LABEL_GUARDRAIL, enforcedScheduling, guardrailObjects, guardrailSelector, matches, namespaceLabels,
  parsePodSecurityRecord, type GuardrailSpec, type ServerReach,
} from './guardrails.ts';

/** The guardrail part of a VirtualCluster's spec.host, read as the server reads it. */
function hostSpec(extra: Record<string, unknown> = {}): GuardrailSpec {
  const { spec, errors } = readSpec({ metadata: { name: 'a' }, spec: { host: { kubeconfigFile: '/k', namespace: 'ns', ...extra } } });
  assert.deepEqual(errors, []);
  assert.ok(spec.host);
  return spec.host;
}

const server: ServerReach = { ipBlocks: ['192.168.1.10'], apiPort: 443, dnsPort: 53 };
const byName = (objs: KubeObject[]) => new Map(objs.map((o) => [o.metadata.name, o]));

test('namespace labels: baseline enforced by default, each mode at version latest', () => {
  assert.deepEqual(namespaceLabels(hostSpec()), {
    'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'latest',
  });
  assert.deepEqual(namespaceLabels(hostSpec({ podSecurity: { enforce: 'restricted', audit: 'restricted', warn: 'restricted' } })), {
    'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/audit': 'restricted', 'pod-security.kubernetes.io/audit-version': 'latest',
    'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/warn-version': 'latest',
  });
});

test('namespace labels in a shared namespace: the strictest level any sharer records, per mode', () => {
  const mine = hostSpec({ podSecurity: { enforce: 'baseline', warn: 'baseline' } });
  const labels = namespaceLabels(mine, [parsePodSecurityRecord('enforce=privileged,audit=restricted'), parsePodSecurityRecord('warn=restricted,bogus=x')]);
  assert.equal(labels['pod-security.kubernetes.io/enforce'], 'baseline');
  assert.equal(labels['pod-security.kubernetes.io/audit'], 'restricted');
  assert.equal(labels['pod-security.kubernetes.io/warn'], 'restricted');
});

test('the default spec asks for the four NetworkPolicies only; every object carries the markers and its levels', () => {
  const objs = guardrailObjects('a', 'ns', hostSpec({ podSecurity: { warn: 'restricted' } }), server);
  assert.deepEqual(objs.map((o) => `${o.kind as string}/${o.metadata.name as string}`), [
    'NetworkPolicy/kubevisor-a-deny-all', 'NetworkPolicy/kubevisor-a-same-cluster', 'NetworkPolicy/kubevisor-a-server', 'NetworkPolicy/kubevisor-a-internet',
  ]);
  for (const o of objs) {
    assert.equal(o.apiVersion, 'networking.k8s.io/v1');
    assert.equal(o.metadata.namespace, 'ns');
    assert.equal(o.metadata.labels?.['kubevisor.dev/vcluster'], 'a');
    assert.ok(o.metadata.labels?.[LABEL_GUARDRAIL]);
    assert.equal(o.metadata.annotations?.[ANN_POD_SECURITY], 'enforce=baseline,warn=restricted');
  }
  assert.equal(guardrailSelector('a'), 'kubevisor.dev/vcluster=a,kubevisor.dev/guardrail');
  assert.deepEqual(guardrailObjects('a', 'ns', hostSpec({ isolation: { networkPolicy: false } }), server), []);
});

test('quota and limit range from the spec; Container items spelled out with the defaults the API server adds', () => {
  const objs = byName(guardrailObjects('a', 'ns', hostSpec({
    quota: { pods: '50', 'requests.cpu': '10' },
    limitRange: [
      { type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m' }, defaultRequest: { memory: '128Mi' } },
      { type: 'Pod', max: { cpu: '4' } },
    ],
    isolation: { networkPolicy: false },
  }), server));
  assert.deepEqual(objs.get('kubevisor-a-quota')?.spec, { hard: { pods: '50', 'requests.cpu': '10' } });
  assert.deepEqual(objs.get('kubevisor-a-limits')?.spec, {
    limits: [
      // default limit <- max; default request <- explicit, else the default limit (over the min).
      { type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m' }, default: { cpu: '2', memory: '1Gi' }, defaultRequest: { cpu: '2', memory: '128Mi' } },
      { type: 'Pod', max: { cpu: '4' } },
    ],
  });
  const minOnly = guardrailObjects('a', 'ns', hostSpec({ limitRange: [{ type: 'Container', min: { cpu: '100m' } }], isolation: { networkPolicy: false } }), server);
  assert.deepEqual(minOnly[0].spec, { limits: [{ type: 'Container', min: { cpu: '100m' }, defaultRequest: { cpu: '100m' } }] });
});

test('network policies: deny all, own pods both ways, the server and DNS ports, the internet without private ranges', () => {
  const np = byName(guardrailObjects('a', 'ns', hostSpec(), {
    podSelector: { matchLabels: { app: 'kubevisor' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kubevisor' } },
    ipBlocks: ['10.0.0.7', '2001:db8::/64'], apiPort: 6443, dnsPort: 1053,
  }));
  const own = { matchLabels: { 'kubevisor.dev/vcluster': 'a' } };
  assert.deepEqual(np.get('kubevisor-a-deny-all')?.spec, { podSelector: own, policyTypes: ['Ingress', 'Egress'] });
  assert.deepEqual(np.get('kubevisor-a-same-cluster')?.spec, {
    podSelector: own, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: own }] }], egress: [{ to: [{ podSelector: own }] }],
  });
  assert.deepEqual(np.get('kubevisor-a-server')?.spec, {
    podSelector: own, policyTypes: ['Egress'],
    egress: [{
      to: [
        { podSelector: { matchLabels: { app: 'kubevisor' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kubevisor' } } },
        { ipBlock: { cidr: '10.0.0.7/32' } }, { ipBlock: { cidr: '2001:db8::/64' } },
      ],
      ports: [
        { protocol: 'TCP', port: 6443 }, { protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 },
        { protocol: 'UDP', port: 1053 }, { protocol: 'TCP', port: 1053 },
      ],
    }],
  });
  assert.deepEqual(np.get('kubevisor-a-internet')?.spec, {
    podSelector: own, policyTypes: ['Egress'],
    egress: [{
      to: [
        { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'] } },
        { ipBlock: { cidr: '::/0', except: ['fc00::/7', 'fe80::/10'] } },
      ],
    }],
  });
  // DNS on 53 is not listed twice; the excluded ranges are a parameter.
  const custom = byName(guardrailObjects('a', 'ns', hostSpec(), { ...server, privateCidrs: ['100.64.0.0/10'] }));
  assert.deepEqual((custom.get('kubevisor-a-server')?.spec as { egress: { ports: unknown[] }[] }).egress[0].ports.length, 3);
  assert.deepEqual((custom.get('kubevisor-a-internet')?.spec as { egress: unknown[] }).egress, [{
    to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['100.64.0.0/10'] } }, { ipBlock: { cidr: '::/0' } }],
  }]);
});

test('server addresses must be IPs or canonical CIDRs, and there must be some', () => {
  assert.throws(() => guardrailObjects('a', 'ns', hostSpec(), { ...server, ipBlocks: ['kubevisor.local'] }), /not an IP address or CIDR/);
  assert.throws(() => guardrailObjects('a', 'ns', hostSpec(), { ...server, ipBlocks: ['10.0.0.1/8'] }), /not a canonical CIDR/);
  assert.throws(() => guardrailObjects('a', 'ns', hostSpec(), { ...server, ipBlocks: [] as unknown as [string] }), /needs a podSelector or ipBlocks/);
  assert.throws(() => guardrailObjects('a', 'ns', hostSpec(), { ...server, apiPort: 0 }), /not a port number/);
});

test('long virtual cluster names give valid, distinct object names', () => {
  const long = 'a'.repeat(70);
  const names = guardrailObjects(long, 'ns', hostSpec(), server).map((o) => o.metadata.name as string);
  for (const n of names) assert.ok(n.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n), n);
  assert.equal(new Set(names).size, names.length);
});

test('hard tenancy: the enforced scheduling fields for synced pods', () => {
  assert.equal(enforcedScheduling(hostSpec()), undefined);
  assert.deepEqual(enforcedScheduling(hostSpec({
    isolation: { nodeSelector: { pool: 'tenant-a' }, tolerations: [{ key: 'tenant', operator: 'Equal', value: 'a', effect: 'NoSchedule' }], runtimeClassName: 'gvisor' },
  })), {
    nodeSelector: { pool: 'tenant-a' }, tolerations: [{ key: 'tenant', operator: 'Equal', value: 'a', effect: 'NoSchedule' }], runtimeClassName: 'gvisor',
  });
});

test('matches: same meaning in the host\'s form is no change; a changed spec, label or annotation is', () => {
  const [want] = guardrailObjects('a', 'ns', hostSpec({ quota: { 'requests.cpu': '0.5', 'limits.memory': '1024Mi' }, isolation: { networkPolicy: false } }), server);
  const stored: KubeObject = {
    ...want,
    metadata: { ...want.metadata, uid: 'u', resourceVersion: '7', labels: { ...want.metadata.labels, extra: 'kept' } },
    spec: { hard: { 'requests.cpu': '500m', 'limits.memory': '1Gi' }, scopes: [] },
    status: { hard: {} },
  };
  assert.ok(matches(want, stored));
  assert.ok(!matches(want, { ...stored, spec: { hard: { 'requests.cpu': '501m', 'limits.memory': '1Gi' } } }));
  assert.ok(!matches(want, { ...stored, metadata: { ...stored.metadata, labels: { extra: 'kept' } } }));
  assert.ok(!matches(want, { ...stored, metadata: { ...stored.metadata, annotations: {} } }));
  // An empty selector means "all pods": it is never taken for an absent one.
  const deny = guardrailObjects('a', 'ns', hostSpec(), server)[0];
  assert.ok(!matches(deny, { ...deny, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } }));
});
