// The syncer across restarts and nesting: a host that goes away and comes back,
// a virtual cluster used as the host of another, tokens that are renewed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hasKubectl, kubectl } from '../support/in-process-server.ts';
import { eventually } from '../support/cluster.ts';
import { startSide, startTwoServers, type Side, type TwoServers } from '../support/two-servers.ts';
import type { KubeObject } from '../../src/api/types.ts';

const HOST_NS = 'tenants';

describe('syncer lifecycle', { skip: !(await hasKubectl()) && 'kubectl is not installed' }, () => {
  let t: TwoServers;
  let host: Side;
  let hostEnv: NodeJS.ProcessEnv;
  let envA: NodeJS.ProcessEnv;

  const k = async (env: NodeJS.ProcessEnv, ...args: string[]) => {
    const r = await kubectl(env, args, 90_000);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.out}`);
    return r.stdout;
  };
  const json = async (env: NodeJS.ProcessEnv, ...args: string[]) => JSON.parse(await k(env, ...args, '-o', 'json'));
  const hostPods = async (selector: string, ns = HOST_NS): Promise<KubeObject[]> => (await json(hostEnv, 'get', 'pods', '-n', ns, '-l', selector)).items;
  const connected = (name: string) => {
    const admin = t.tenant.server.admin;
    const obj = admin.store.peek(admin.registry.find('kubevisor.dev', 'v1alpha1', 'virtualclusters')!, undefined, name);
    return ((obj?.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).find((c) => c.type === 'HostConnected')?.status;
  };

  before(async () => {
    t = await startTwoServers();
    host = t.host;
    await host.server.ensureCluster('host', { nodes: 3 });
    hostEnv = await host.env('host');
    await t.tenant.server.ensureCluster('a', { host: { kubeconfigFile: await host.kubeconfig('host'), namespace: HOST_NS } });
    envA = await t.tenant.env('a');
    await eventually(() => connected('a') === 'True', 20_000, 'a connected');
  });
  after(async () => {
    await t?.tenant.server.close();
    await host?.server.close();
  });

  test('a virtual cluster can be the host of another (nested)', async () => {
    await t.tenant.server.ensureCluster('nested', { host: { kubeconfigFile: await t.tenant.kubeconfig('a'), namespace: 'inner' } });
    const envN = await t.tenant.env('nested');
    await eventually(() => connected('nested') === 'True', 20_000, 'nested connected');
    await k(envN, 'create', 'deployment', 'deep', '--image=nginx:1.27', '--replicas=1');
    await k(envN, 'rollout', 'status', 'deployment/deep', '--timeout=60s');
    // In a, the nested cluster's pod is an ordinary pod of namespace "inner" ...
    const inA = (await json(envA, 'get', 'pods', '-n', 'inner', '-l', 'kubevisor.dev/vcluster=nested')).items as KubeObject[];
    assert.equal(inA.length, 1);
    assert.match(inA[0]!.metadata.name as string, /^deep-.*-x-default-x-nested$/);
    assert.equal((inA[0]!.status as { phase: string }).phase, 'Running');
    // ... which a syncs to the real host in turn.
    const onHost = await hostPods('kubevisor.dev/vcluster=a,kubevisor.dev/namespace=inner');
    assert.equal(onHost.length, 1);
    const pod = await json(envN, 'get', 'pods', '-l', 'app=deep');
    assert.equal(pod.items[0].status.podIP, (onHost[0]!.status as { podIP: string }).podIP, 'the IP comes up both levels');
    await t.tenant.server.manager.remove('nested');
    await eventually(async () => (await json(envA, 'get', 'pods', '-n', 'inner')).items.length === 0, 20_000, 'nested pods gone from a');
  });

  test('the token Secret is renewed when due, and the new token works', async () => {
    await k(envA, 'run', 'tok', '--image=busybox', '--restart=Never');
    await eventually(async () => (await json(envA, 'get', 'pod', 'tok')).status.phase === 'Running', 30_000, 'tok runs');
    const secretOf = async () => ((await json(hostEnv, 'get', 'secrets', '-n', HOST_NS, '-l', 'kubevisor.dev/vcluster=a')).items as KubeObject[])
      .find((s) => s.metadata.annotations?.['kubevisor.dev/object-name'] === 'tok' && s.metadata.annotations?.['kubevisor.dev/object-kind'] === 'Pod')!;
    const first = await secretOf();
    const tokenOf = (s: KubeObject) => Buffer.from((s.data as Record<string, string>).token!, 'base64').toString();
    const claims = (tok: string) => JSON.parse(Buffer.from(tok.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
    const c1 = claims(tokenOf(first));
    const due = Number(first.metadata.annotations?.['kubevisor.dev/token-refresh-at']);
    // Renewal is planned at 80 % of the token's life.
    assert.ok(Math.abs(due / 1000 - (c1.iat + 0.8 * (c1.exp - c1.iat))) < 5, `renewal at ${due}, token ${c1.iat}..${c1.exp}`);
    // Make it due now: the syncer sees the change and issues a new token.
    await new Promise((r) => setTimeout(r, 1100));
    await k(hostEnv, 'annotate', 'secret', first.metadata.name as string, '-n', HOST_NS, '--overwrite', 'kubevisor.dev/token-refresh-at=1');
    await eventually(async () => tokenOf(await secretOf()) !== tokenOf(first), 20_000, 'a new token');
    const fresh = tokenOf(await secretOf());
    assert.ok(claims(fresh).iat > c1.iat);
    const r = await kubectl({ ...envA, KUBECONFIG: '/dev/null' }, ['--server', t.tenant.server.url, '--insecure-skip-tls-verify', '--token', fresh, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(r.stdout, 'system:serviceaccount:default:default', r.out);
  });

  test('a host that goes away and comes back: status says so, and what was made meanwhile converges without duplicates', async () => {
    const port = Number(new URL(host.server.url).port);
    const before = (await hostPods('kubevisor.dev/vcluster=a')).map((p) => p.metadata.name).sort();
    await host.server.close();
    await eventually(() => connected('a') === 'False', 30_000, 'HostConnected=False');
    await k(envA, 'create', 'deployment', 'during', '--image=nginx:1.27', '--replicas=2');
    await new Promise((r) => setTimeout(r, 1000));
    host = await startSide(t.dir, 'host', true, { port });
    await host.server.ensureCluster('host', { nodes: 3 });
    hostEnv = await host.env('host');
    await eventually(() => connected('a') === 'True', 60_000, 'HostConnected=True again');
    await k(envA, 'rollout', 'status', 'deployment/during', '--timeout=90s');
    const after = (await hostPods('kubevisor.dev/vcluster=a')).map((p) => p.metadata.name as string);
    assert.equal(after.filter((n) => n.startsWith('during-')).length, 2, after.join(' '));
    assert.deepEqual(after.filter((n) => !n.startsWith('during-')).sort(), before, 'the pods from before are the same ones');
    // Every host pod stands for a virtual pod, and every virtual pod has one.
    const virtual = ((await json(envA, 'get', 'pods', '-A')).items as KubeObject[]).map((p) => `${p.metadata.name}-x-${p.metadata.namespace}-x-a`).sort();
    assert.deepEqual([...after].sort(), virtual);
  });
});
