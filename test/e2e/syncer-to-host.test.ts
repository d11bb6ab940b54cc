// The optional kinds a VirtualCluster's spec.host.sync.toHost copies to the
// host: every config map and secret, Ingresses, NetworkPolicies,
// PodDisruptionBudgets and PriorityClasses, seen with the real kubectl on both
// sides. Cluster a syncs all of them, cluster b only Ingresses.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasKubectl, kubectl } from '../support/in-process-server.ts';
import { eventually } from '../support/cluster.ts';
import { startTwoServers, type TwoServers } from '../support/two-servers.ts';
import type { KubeObject } from '../../src/api/types.ts';

const HOST_NS = 'tenants';
const ALL = { allConfigMaps: true, allSecrets: true, ingresses: true, networkPolicies: true, podDisruptionBudgets: true, priorityClasses: true };

interface Selector { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }

describe('syncer: optional kinds to the host', { skip: !(await hasKubectl()) && 'kubectl is not installed' }, () => {
  let t: TwoServers;
  let hostEnv: NodeJS.ProcessEnv;
  let envA: NodeJS.ProcessEnv;
  let envB: NodeJS.ProcessEnv;
  let hostKubeconfig: string;

  const k = async (env: NodeJS.ProcessEnv, ...args: string[]) => {
    const r = await kubectl(env, args, 60_000);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.out}`);
    return r.stdout;
  };
  const json = async (env: NodeJS.ProcessEnv, ...args: string[]) => JSON.parse(await k(env, ...args, '-o', 'json'));
  /** The host object, or undefined while there is none. */
  const hostGet = async (kind: string, name: string, namespaced = true): Promise<KubeObject | undefined> => {
    const r = await kubectl(hostEnv, ['get', kind, name, ...(namespaced ? ['-n', HOST_NS] : []), '-o', 'json']);
    if (r.code !== 0 && !r.stderr.includes('NotFound')) assert.fail(`kubectl get ${kind} ${name}: ${r.out}`);
    return r.code === 0 ? JSON.parse(r.stdout) as KubeObject : undefined;
  };
  const hostNames = async (kind: string, selector: string, namespaced = true): Promise<string[]> =>
    (await json(hostEnv, 'get', kind, ...(namespaced ? ['-n', HOST_NS] : []), '-l', selector)).items.map((o: KubeObject) => o.metadata.name as string);
  const apply = async (env: NodeJS.ProcessEnv, file: string, yaml: string) => {
    const path = join(t.dir, file);
    writeFileSync(path, yaml);
    await k(env, 'apply', '-f', path);
  };
  const hostSpec = (toHost: Partial<typeof ALL>) => ({ kubeconfigFile: hostKubeconfig, namespace: HOST_NS, sync: { toHost } });

  before(async () => {
    t = await startTwoServers();
    await t.host.server.ensureCluster('host', { nodes: 1 });
    hostEnv = await t.host.env('host');
    hostKubeconfig = await t.host.kubeconfig('host');
    await t.tenant.server.ensureCluster('a', { host: hostSpec(ALL) });
    await t.tenant.server.ensureCluster('b', { host: hostSpec({ ingresses: true }) });
    envA = await t.tenant.env('a');
    envB = await t.tenant.env('b');
    for (const env of [envA, envB]) {
      await eventually(async () => (await kubectl(env, ['create', 'service', 'clusterip', 'web', '--tcp=80'])).code === 0, 20_000, 'syncer connected');
    }
  });
  after(async () => { await t?.close(); });

  test('every config map and secret goes to the host, but not the cluster\'s own CA and credentials', async () => {
    for (const env of [envA, envB]) {
      await k(env, 'create', 'configmap', 'settings', '--from-literal=mode=fast');
      await k(env, 'create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret');
    }
    await apply(envA, 'sa-token.yaml', `
apiVersion: v1
kind: Secret
metadata: { name: default-token, annotations: { kubernetes.io/service-account.name: default } }
type: kubernetes.io/service-account-token
`);
    await eventually(async () => !!(await hostGet('configmap', 'settings-x-default-x-a')) && !!(await hostGet('secret', 'creds-x-default-x-a')), 15_000, 'a\'s config map and secret on the host');
    const cm = (await hostGet('configmap', 'settings-x-default-x-a'))!;
    assert.deepEqual(cm['data'], { mode: 'fast' });
    assert.equal(cm.metadata.annotations?.['kubevisor.dev/object-name'], 'settings');
    const cms = await hostNames('configmaps', 'kubevisor.dev/vcluster=a');
    assert.ok(!cms.some((n) => n.startsWith('kube-root-ca.crt')), cms.join(' '));
    const secrets = await hostNames('secrets', 'kubevisor.dev/vcluster=a');
    assert.ok(!secrets.some((n) => n.startsWith('default-token')), secrets.join(' '));
    // b copies only what its pods and ingresses use.
    assert.deepEqual(await hostNames('configmaps', 'kubevisor.dev/vcluster=b'), []);
    assert.deepEqual(await hostNames('secrets', 'kubevisor.dev/vcluster=b'), []);
    // Changes follow; a deleted one leaves the host.
    await k(envA, 'patch', 'configmap', 'settings', '--type=merge', '-p', '{"data":{"mode":"slow"}}');
    await eventually(async () => ((await hostGet('configmap', 'settings-x-default-x-a'))?.['data'] as Record<string, string> | undefined)?.mode === 'slow',
      10_000, 'the change on the host');
    await k(envA, 'delete', 'configmap', 'settings');
    await eventually(async () => !(await hostGet('configmap', 'settings-x-default-x-a')), 10_000, 'the host copy gone');
  });

  test('an Ingress routes to the host services, takes its TLS secret along, and its load balancer status comes back', async () => {
    await apply(envB, 'ingress.yaml', `
apiVersion: v1
kind: Secret
metadata: { name: web-tls }
type: kubernetes.io/tls
data: { tls.crt: Y2VydA==, tls.key: a2V5 }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web }
spec:
  ingressClassName: nginx
  defaultBackend: { service: { name: web, port: { number: 80 } } }
  tls: [{ hosts: [shop.example.com], secretName: web-tls }]
  rules:
  - host: shop.example.com
    http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] }
`);
    await eventually(async () => !!(await hostGet('ingress', 'web-x-default-x-b')), 15_000, 'the host ingress');
    const h = (await hostGet('ingress', 'web-x-default-x-b'))!;
    const spec = h.spec as { ingressClassName: string; defaultBackend: { service: { name: string } }; tls: { secretName: string }[]; rules: { http: { paths: { backend: { service: { name: string } } }[] } }[] };
    assert.equal(spec.ingressClassName, 'nginx');
    assert.equal(spec.defaultBackend.service.name, 'web-x-default-x-b');
    assert.equal(spec.rules[0]!.http.paths[0]!.backend.service.name, 'web-x-default-x-b');
    assert.equal(spec.tls[0]!.secretName, 'web-tls-x-default-x-b');
    assert.ok(await hostGet('service', 'web-x-default-x-b'), 'the service it routes to');
    assert.equal((await hostGet('secret', 'web-tls-x-default-x-b'))?.['type'], 'kubernetes.io/tls');

    await k(hostEnv, 'patch', 'ingress', 'web-x-default-x-b', '-n', HOST_NS, '--subresource=status', '--type=merge',
      '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.10"}]}}}');
    await eventually(async () => (await json(envB, 'get', 'ingress', 'web')).status?.loadBalancer?.ingress?.[0]?.ip === '203.0.113.10', 10_000, 'the address in the virtual ingress');

    // Deleted on the host: made again.
    const uid = h.metadata.uid;
    await k(hostEnv, 'delete', 'ingress', 'web-x-default-x-b', '-n', HOST_NS);
    await eventually(async () => { const again = await hostGet('ingress', 'web-x-default-x-b'); return !!again && again.metadata.uid !== uid; }, 10_000, 'the host ingress restored');

    // No longer named for TLS: the secret leaves the host (b does not copy every secret).
    await k(envB, 'patch', 'ingress', 'web', '--type=json', '-p', '[{"op":"remove","path":"/spec/tls"}]');
    await eventually(async () => !(await hostGet('secret', 'web-tls-x-default-x-b')), 10_000, 'the TLS secret off the host');
  });

  test('a NetworkPolicy selects only the cluster\'s pods; a label namespaceSelector follows the virtual namespaces', async () => {
    const policy = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web }
spec:
  podSelector: { matchLabels: { app: web } }
  ingress:
  - from:
    - namespaceSelector: { matchLabels: { team: blue } }
    - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: ops } }
      podSelector: { matchLabels: { role: monitor } }
    - ipBlock: { cidr: 10.0.0.0/8 }
    ports: [{ port: 80 }]
`;
    await apply(envA, 'policy.yaml', policy);
    await apply(envB, 'policy.yaml', policy);
    await eventually(async () => !!(await hostGet('networkpolicy', 'web-x-default-x-a')), 15_000, 'the host policy');
    type Peer = { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: { cidr: string } };
    const specOf = async () => (await hostGet('networkpolicy', 'web-x-default-x-a'))!.spec as { podSelector: Selector; ingress: { from: Peer[]; ports: unknown[] }[] };
    const spec = await specOf();
    assert.deepEqual(spec.podSelector.matchLabels, { app: 'web', 'kubevisor.dev/vcluster': 'a', 'kubevisor.dev/namespace': 'default' });
    const [blue, ops, block] = spec.ingress[0]!.from;
    // No namespace is labelled team=blue yet: that peer matches none of the cluster's pods.
    assert.deepEqual(blue, { podSelector: { matchLabels: { 'kubevisor.dev/vcluster': 'a' }, matchExpressions: [{ key: 'kubevisor.dev/namespace', operator: 'DoesNotExist' }] } });
    assert.deepEqual(ops, { podSelector: { matchLabels: { role: 'monitor', 'kubevisor.dev/vcluster': 'a' }, matchExpressions: [{ key: 'kubevisor.dev/namespace', operator: 'In', values: ['ops'] }] } });
    assert.deepEqual(block, { ipBlock: { cidr: '10.0.0.0/8' } });
    assert.deepEqual(spec.ingress[0]!.ports, [{ port: 80, protocol: 'TCP' }]);

    await k(envA, 'create', 'namespace', 'shop');
    await k(envA, 'label', 'namespace', 'shop', 'team=blue');
    await eventually(async () => JSON.stringify((await specOf()).ingress[0]!.from[0]!.podSelector?.matchExpressions) ===
      JSON.stringify([{ key: 'kubevisor.dev/namespace', operator: 'In', values: ['shop'] }]), 10_000, 'the labelled namespace in the host policy');

    // Changed on the host: put back.
    await k(hostEnv, 'patch', 'networkpolicy', 'web-x-default-x-a', '-n', HOST_NS, '--type=merge', '-p', '{"spec":{"podSelector":{"matchLabels":null}}}');
    await eventually(async () => (await specOf()).podSelector.matchLabels?.['kubevisor.dev/vcluster'] === 'a', 10_000, 'the host policy restored');
    // b does not sync network policies.
    assert.equal(await hostGet('networkpolicy', 'web-x-default-x-b'), undefined);
  });

  test('a PodDisruptionBudget\'s selector is scoped to the cluster and namespace', async () => {
    await k(envA, 'create', 'poddisruptionbudget', 'web', '--selector=app=web', '--min-available=1');
    await eventually(async () => !!(await hostGet('poddisruptionbudget', 'web-x-default-x-a')), 15_000, 'the host budget');
    const spec = (await hostGet('poddisruptionbudget', 'web-x-default-x-a'))!.spec as { minAvailable: number; selector: Selector };
    assert.equal(spec.minAvailable, 1);
    assert.deepEqual(spec.selector.matchLabels, { app: 'web', 'kubevisor.dev/vcluster': 'a', 'kubevisor.dev/namespace': 'default' });
    await k(envA, 'delete', 'poddisruptionbudget', 'web');
    await eventually(async () => !(await hostGet('poddisruptionbudget', 'web-x-default-x-a')), 10_000, 'the host budget gone');
  });

  test('a PriorityClass gets a host class of its own, which the synced pods name', async () => {
    await k(envA, 'create', 'priorityclass', 'high', '--value=1000', '--global-default=true', '--description=important');
    const hName = `kubevisor-high-x-${HOST_NS}-x-a`;
    await eventually(async () => !!(await hostGet('priorityclass', hName, false)), 15_000, 'the host priority class');
    const pc = (await hostGet('priorityclass', hName, false))!;
    assert.equal(pc['value'], 1000);
    assert.equal(pc['description'], 'important');
    assert.notEqual(pc['globalDefault'], true);
    assert.equal(pc.metadata.labels?.['kubevisor.dev/vcluster'], 'a');

    await k(envA, 'run', 'urgent', '--image=busybox', '--restart=Never', '--overrides={"spec":{"priorityClassName":"high"}}');
    await eventually(async () => !!(await hostGet('pod', 'urgent-x-default-x-a')), 15_000, 'the host pod');
    assert.equal(((await hostGet('pod', 'urgent-x-default-x-a'))!.spec as { priorityClassName?: string }).priorityClassName, hName);

    await k(hostEnv, 'delete', 'priorityclass', hName);
    await eventually(async () => { const again = await hostGet('priorityclass', hName, false); return !!again && again.metadata.uid !== pc.metadata.uid; }, 10_000, 'the host class restored');

    // A class and a pod naming it at once: the host class is written before the host pod
    // (a host refuses a pod whose class it does not know; a refused pod waits 10 s).
    await apply(envA, 'class-and-pod.yaml', [
      'apiVersion: scheduling.k8s.io/v1', 'kind: PriorityClass', 'metadata: {name: fresh}', 'value: 500', '---',
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: fresh-pod}',
      'spec: {priorityClassName: fresh, restartPolicy: Never, containers: [{name: c, image: busybox}]}', '',
    ].join('\n'));
    await eventually(async () => !!(await hostGet('pod', 'fresh-pod-x-default-x-a')), 5_000, 'the host pod, without a refusal first');
    assert.equal(((await hostGet('pod', 'fresh-pod-x-default-x-a'))!.spec as { priorityClassName?: string }).priorityClassName, `kubevisor-fresh-x-${HOST_NS}-x-a`);
    const refusals = (await json(envA, 'get', 'events', '--field-selector', 'involvedObject.name=fresh-pod')).items
      .filter((e: { reason?: string }) => e.reason === 'SyncError');
    assert.deepEqual(refusals, []);
  });

  test('turning a kind off removes its host copies', async () => {
    await t.tenant.server.ensureCluster('b', { host: hostSpec({}) });
    await eventually(async () => !(await hostGet('ingress', 'web-x-default-x-b')), 20_000, 'b\'s host ingress gone');
  });

  test('deleting a virtual cluster leaves nothing of it on the host', async () => {
    await t.tenant.server.manager.remove('a');
    await t.tenant.server.manager.remove('b');
    for (const vc of ['a', 'b']) {
      for (const kind of ['pods', 'services', 'configmaps', 'secrets', 'ingresses', 'networkpolicies', 'poddisruptionbudgets']) {
        assert.deepEqual(await hostNames(kind, `kubevisor.dev/vcluster=${vc}`), [], `${vc}: ${kind}`);
      }
      assert.deepEqual(await hostNames('priorityclasses', `kubevisor.dev/vcluster=${vc}`, false), [], `${vc}: priorityclasses`);
    }
  });
});
