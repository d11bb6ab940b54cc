// An aggregated API in a virtual cluster synced to a host: the extension API
// server runs as a synced pod (a host pod of simulated nodes whose port-forward
// reaches the demo server this test runs), and the virtual cluster's API server
// reaches it through the syncer's service dialer (a port-forward tunnel through
// the host's API), TLS end to end with its front-proxy client certificate.
// Two kubevisor servers in this process.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import { Client } from '../../test/support/client.ts';
import { eventually } from '../server/admission/testing.ts';
import { DEMO_GROUP, startDemoApiServer, type DemoApiServer } from '../../test/support/demo-apiserver.ts';
import { startTwoServers, type TwoServers } from '../../test/support/two-servers.ts';
import { HostConnection, type HostResource } from './host/connection.ts';
import { hostName } from './translate/names.ts';

const HOST_NS = 'tenants-agg';
const CLUSTER = 'agg';
const NS = 'default';
const PODS: HostResource = { apiVersion: 'v1', plural: 'pods' };

type Json = Record<string, any>;

let t: TwoServers;
let host: HostConnection;
let tenant: Client;
let demo: DemoApiServer;

const call = (method: string, path: string, body?: unknown) => tenant.call(method, path, body);

async function ok(method: string, path: string, body?: unknown): Promise<Json> {
  const r = await call(method, path, body);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return r.json;
}


const available = (o: Json) => ((o.status?.conditions ?? []) as Json[]).find((c) => c.type === 'Available');

before(async () => {
  demo = await startDemoApiServer({ namespace: NS, name: 'demo' });
  t = await startTwoServers();
  await t.host.server.ensureCluster('host', { nodes: 1 });
  const hostKubeconfig = await t.host.kubeconfig('host');
  host = await HostConnection.connect({ file: hostKubeconfig });
  await t.tenant.server.ensureCluster(CLUSTER, { host: { kubeconfigFile: hostKubeconfig, namespace: HOST_NS } });
  tenant = new Client(await t.tenant.kubeconfig(CLUSTER));
});

after(async () => {
  tenant?.close();
  host?.close();
  await t?.close();
  await demo?.close();
});

test('an APIService backed by a synced pod: available, in discovery, and its resources served through the host', async () => {
  await eventually(async () => (await call('POST', `/api/v1/namespaces/${NS}/services`, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'demo' },
    spec: { selector: { app: 'demo' }, ports: [{ name: 'https', port: 443, targetPort: 8443 }] },
  })).status === 201, 'the cluster connected to its host (a Service made)', 30_000);
  await ok('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'demo' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'demo' } }, template: {
      metadata: { labels: { app: 'demo' } },
      spec: { containers: [{ name: 'api', image: 'example/demo-apiserver:1', ports: [{ containerPort: 8443 }] }] },
    } },
  });
  // The host pod forwards its port 8443 to the demo server (set on the host: a virtual pod's kubevisor.dev/ keys are renamed there).
  const pod = await eventually(async () => {
    const pods = (await ok('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Ddemo`)).items as KubeObject[];
    return pods.find((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
  }, 'the demo pod running', 60_000);
  await host.patch(PODS, HOST_NS, hostName(pod.metadata.name!, NS, CLUSTER), 'merge',
    { metadata: { annotations: { 'kubevisor.dev/port-forward-8443': `127.0.0.1:${demo.port}` } } });

  await ok('POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
    apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: `v1.${DEMO_GROUP}` },
    spec: { group: DEMO_GROUP, version: 'v1', groupPriorityMinimum: 1000, versionPriority: 15, service: { namespace: NS, name: 'demo' },
      caBundle: Buffer.from(demo.caPem).toString('base64') },
  });
  // The extension server trusts the virtual cluster's front-proxy CA, as delegated authentication reads it.
  const cm = await eventually(async () => {
    const a = await call('GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication');
    return a.status === 200 ? a.json : undefined;
  }, 'extension-apiserver-authentication');
  demo.setRequestHeaderCA(cm.data['requestheader-client-ca-file']);

  const svc = await eventually(async () => {
    const a = await ok('GET', `/apis/apiregistration.k8s.io/v1/apiservices/v1.${DEMO_GROUP}`);
    return available(a)?.status === 'True' ? a : undefined;
  }, 'the APIService available', 60_000);
  assert.equal(available(svc)?.reason, 'Passed');

  const groups = (await ok('GET', '/apis')).groups as Json[];
  assert.ok(groups.some((g) => g.name === DEMO_GROUP), 'the aggregated group is in discovery');
  const list = await ok('GET', `/apis/${DEMO_GROUP}/v1/namespaces/${NS}/widgets`);
  assert.deepEqual((list.items as Json[]).map((w) => w.metadata.name), ['w1', 'w2']);
  // The demo server saw the virtual cluster's user, named by the front proxy.
  assert.equal((list.items as Json[])[0]!.spec.seenUser, 'kubevisor-admin');
  assert.ok(((list.items as Json[])[0]!.spec.seenGroups as string[]).includes('system:masters'));
  const one = await ok('GET', `/apis/${DEMO_GROUP}/v1/namespaces/${NS}/widgets/w2`);
  assert.equal(one.metadata.name, 'w2');
  const missing = await call('GET', `/apis/${DEMO_GROUP}/v1/namespaces/${NS}/widgets/nope`);
  assert.equal(missing.status, 404, missing.text);
  // Nothing of the host reached the extension server: every request came through the front proxy.
  assert.ok(demo.seen.every((s) => s.authorization === undefined));
});
