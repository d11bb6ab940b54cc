// The syncer end to end: a host kubevisor with simulated nodes, a tenant
// kubevisor whose virtual clusters run their pods there, and the real kubectl
// against the virtual clusters.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasKubectl, kubectl } from '../support/in-process-server.ts';
import { eventually } from '../support/cluster.ts';
import { startSide, startTwoServers, type TwoServers } from '../support/two-servers.ts';
import type { KubeObject } from '../../src/api/types.ts';
import { queryDns } from '../../src/syncer/dns/client.ts';
import { recordToText } from '../../src/syncer/dns/wire.ts';

const HOST_NS = 'tenants';

describe('syncer', { skip: !(await hasKubectl()) && 'kubectl is not installed' }, () => {
  let t: TwoServers;
  let hostEnv: NodeJS.ProcessEnv;
  let envA: NodeJS.ProcessEnv;
  let envB: NodeJS.ProcessEnv;
  let hostKubeconfig: string;

  const k = async (env: NodeJS.ProcessEnv, ...args: string[]) => {
    const r = await kubectl(env, args, 90_000);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.out}`);
    return r.stdout;
  };
  const json = async (env: NodeJS.ProcessEnv, ...args: string[]) => JSON.parse(await k(env, ...args, '-o', 'json'));
  const hostItems = async (kind: string, selector?: string): Promise<KubeObject[]> =>
    (await json(hostEnv, 'get', kind, '-n', HOST_NS, ...(selector ? ['-l', selector] : []))).items;

  before(async () => {
    t = await startTwoServers();
    await t.host.server.ensureCluster('host', { nodes: 3 });
    hostEnv = await t.host.env('host');
    hostKubeconfig = await t.host.kubeconfig('host');
    for (const name of ['a', 'b']) await t.tenant.server.ensureCluster(name, { host: { kubeconfigFile: hostKubeconfig, namespace: HOST_NS } });
    envA = await t.tenant.env('a');
    envB = await t.tenant.env('b');
    // The syncer connects in the background: wait until a Service can be made (its IP comes from the host).
    await eventually(async () => (await kubectl(envA, ['create', 'service', 'clusterip', 'probe', '--tcp=80'])).code === 0, 20_000, 'syncer of a connected');
    await eventually(async () => (await kubectl(envB, ['create', 'service', 'clusterip', 'probe', '--tcp=80'])).code === 0, 20_000, 'syncer of b connected');
  });
  after(async () => { await t?.close(); });

  test('a Deployment with a Service, ConfigMap, Secret and PVC runs through the host, status back in the virtual cluster', async () => {
    const manifest = join(t.dir, 'app.yaml');
    writeFileSync(manifest, `
apiVersion: v1
kind: ConfigMap
metadata: { name: web-config }
data: { GREETING: hello }
---
apiVersion: v1
kind: Secret
metadata: { name: web-secret }
stringData: { password: s3cret }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: web-data }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: spare }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: app
        image: nginx:1.27
        envFrom: [{ configMapRef: { name: web-config } }]
        volumeMounts: [{ name: creds, mountPath: /creds }, { name: data, mountPath: /data }]
      volumes: [{ name: creds, secret: { secretName: web-secret } }, { name: data, persistentVolumeClaim: { claimName: web-data } }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
`);
    for (const env of [envA, envB]) await k(env, 'apply', '-f', manifest);
    await k(envA, 'rollout', 'status', 'deployment/web', '--timeout=60s');
    await k(envB, 'rollout', 'status', 'deployment/web', '--timeout=60s');
    const pods = (await json(envA, 'get', 'pods', '-l', 'app=web')).items as KubeObject[];
    assert.equal(pods.length, 2);
    for (const p of pods) {
      const st = p.status as { phase: string; podIP?: string; conditions?: { type: string; status: string }[] };
      assert.equal(st.phase, 'Running');
      assert.match(st.podIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
      assert.ok(st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      assert.ok((p.spec as { nodeName?: string }).nodeName, 'bound to a virtual node');
    }
    // The virtual nodes are the host nodes that run the pods.
    const vNodes = (await json(envA, 'get', 'nodes')).items.map((n: KubeObject) => n.metadata.name);
    const used = new Set(pods.map((p) => (p.spec as { nodeName: string }).nodeName));
    assert.deepEqual([...used].filter((n) => !vNodes.includes(n)), []);

    // On the host: translated names, both clusters side by side, nothing of one selecting the other.
    const hostPods = await hostItems('pods', 'kubevisor.dev/vcluster');
    const names = hostPods.map((p) => p.metadata.name as string);
    assert.equal(names.filter((n) => /^web-.*-x-default-x-a$/.test(n)).length, 2, names.join(' '));
    assert.equal(names.filter((n) => /^web-.*-x-default-x-b$/.test(n)).length, 2, names.join(' '));
    const hp = hostPods.find((p) => (p.metadata.name as string).endsWith('-x-default-x-a'))!;
    const hspec = hp.spec as { automountServiceAccountToken?: boolean; serviceAccountName?: string;
      containers: { env?: { name: string }[]; envFrom?: { configMapRef?: { name: string } }[] }[];
      volumes: { name: string; secret?: { secretName: string }; persistentVolumeClaim?: { claimName: string } }[] };
    assert.equal(hspec.automountServiceAccountToken, false);
    // Kubelet's variables come from the syncer's ConfigMaps, before the pod's own envFrom (which wins over them).
    assert.deepEqual(hspec.containers[0]!.envFrom?.map((e) => e.configMapRef?.name), ['kubernetes-x-a.env', 'service-links-x-default-x-a.env', 'web-config-x-default-x-a']);
    assert.equal(hspec.containers[0]!.env, undefined);
    assert.equal(hspec.volumes.find((v) => v.name === 'creds')?.secret?.secretName, 'web-secret-x-default-x-a');
    assert.equal(hspec.volumes.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName, 'web-data-x-default-x-a');
    // Every claim is on the host, used by a pod or not: its host copy holds the data.
    const claims = (await hostItems('persistentvolumeclaims')).map((c) => c.metadata.name).sort();
    assert.deepEqual(claims, ['spare-x-default-x-a', 'spare-x-default-x-b', 'web-data-x-default-x-a', 'web-data-x-default-x-b']);
    const cms = (await hostItems('configmaps')).map((c) => c.metadata.name);
    assert.ok(cms.includes('web-config-x-default-x-a') && cms.includes('web-config-x-default-x-b'), cms.join(' '));

    // The host namespace holds the translated objects, the syncer's workload account, the ConfigMaps of kubelet's variables
    // (one per cluster, one per namespace with pods), and what the host itself puts in every namespace.
    const translated = (n: string) => /-x-default-x-[ab]$/.test(n);
    assert.deepEqual(cms.filter((n) => !translated(n as string)).sort(),
      ['kube-root-ca.crt', 'kubernetes-x-a.env', 'kubernetes-x-b.env', 'service-links-x-default-x-a.env', 'service-links-x-default-x-b.env']);
    // The namespace's ConfigMap follows its services (the web Service may come after the pods).
    const webIP = (await json(envA, 'get', 'service', 'web')).spec.clusterIP as string;
    const links = async () => (await json(hostEnv, 'get', 'configmap', 'service-links-x-default-x-a.env', '-n', HOST_NS)).data as Record<string, string>;
    await eventually(async () => (await links()).WEB_SERVICE_HOST === webIP, 10_000, 'WEB_SERVICE_HOST in the service-links ConfigMap');
    assert.equal((await links()).WEB_PORT, `tcp://${webIP}:80`);
    assert.equal((await links()).KUBERNETES_SERVICE_HOST, undefined, 'the virtual default/kubernetes has the cluster\'s ConfigMap');
    assert.deepEqual((await hostItems('services')).map((o) => o.metadata.name).filter((n) => !translated(n as string)), []);
    assert.deepEqual((await hostItems('secrets')).filter((o) => !o.metadata.labels?.['kubevisor.dev/vcluster']).map((o) => o.metadata.name), []);
    assert.deepEqual((await hostItems('serviceaccounts')).map((o) => o.metadata.name).sort(), ['default', 'kubevisor-workload']);
    assert.deepEqual(hostPods.filter((p) => !translated(p.metadata.name as string)).map((p) => p.metadata.name), []);
    // One ClusterIP in both clusters; the host selector only matches this cluster's pods of this namespace.
    const vSvc = await json(envA, 'get', 'service', 'web');
    const hSvc = await json(hostEnv, 'get', 'service', 'web-x-default-x-a', '-n', HOST_NS);
    assert.equal(vSvc.spec.clusterIP, hSvc.spec.clusterIP);
    assert.equal(hSvc.spec.selector['kubevisor.dev/vcluster'], 'a');
    assert.equal(hSvc.spec.selector['kubevisor.dev/namespace'], 'default');
    assert.equal(hSvc.spec.selector.app, 'web');
    const hostEndpoints = await json(hostEnv, 'get', 'endpoints', 'web-x-default-x-a', '-n', HOST_NS);
    const epIPs = (hostEndpoints.subsets ?? []).flatMap((s: { addresses?: { ip: string }[] }) => (s.addresses ?? []).map((a) => a.ip)).sort();
    assert.deepEqual(epIPs, pods.map((p) => (p.status as { podIP: string }).podIP).sort());
  });

  test('the DNS server answers each pod with its own virtual cluster\'s services', async () => {
    // A host whose pod IPs are loopback addresses (127.64.0.0/16), so the test can ask from a pod's address.
    const host2 = await startSide(t.dir, 'host2', false, { podCIDR: '127.64.0.0/16' });
    try {
      await host2.server.ensureCluster('host', { nodes: 1 });
      await t.tenant.server.ensureCluster('c', { host: { kubeconfigFile: await host2.kubeconfig('host'), namespace: HOST_NS } });
      const envC = await t.tenant.env('c');
      await eventually(async () => (await kubectl(envC, ['create', 'service', 'clusterip', 'web', '--tcp=80'])).code === 0, 20_000, 'syncer of c connected');
      await k(envC, 'run', 'client', '--image=busybox', '--restart=Never');
      await eventually(async () => (await json(envC, 'get', 'pod', 'client')).status.phase === 'Running', 30_000, 'client runs');
      const port = await t.tenant.server.dnsPort();
      assert.ok(port, 'a DNS server runs');
      const from = (await json(envC, 'get', 'pod', 'client')).status.podIP as string;
      assert.match(from, /^127\.64\./);
      const ask = async (name: string, localAddress = from) => {
        const r = await queryDns({ server: '127.0.0.1', port, name, type: 1, localAddress });
        return { rcode: r.message.rcode, ips: r.message.answers.map((a) => recordToText(a).split(/\s+/).pop()) };
      };
      const webC = (await json(envC, 'get', 'service', 'web')).spec.clusterIP as string;
      const webA = (await json(envA, 'get', 'service', 'web')).spec.clusterIP as string;
      assert.notEqual(webA, webC);
      // The same name, answered for the asking pod's own cluster.
      assert.deepEqual(await ask('web.default.svc.cluster.local'), { rcode: 0, ips: [webC] });
      // kubernetes.default is where the pods reach the API (their KUBERNETES_SERVICE_HOST), as the Service says.
      const apiC = (await json(envC, 'get', 'service', 'kubernetes')).spec.clusterIP as string;
      const clientEnvFrom = (await json(await host2.env('host'), 'get', 'pod', 'client-x-default-x-c', '-n', HOST_NS)).spec.containers[0].envFrom as { configMapRef: { name: string } }[];
      assert.equal(clientEnvFrom[0]?.configMapRef.name, 'kubernetes-x-c.env');
      const kubeEnv = await json(await host2.env('host'), 'get', 'configmap', 'kubernetes-x-c.env', '-n', HOST_NS);
      assert.equal(kubeEnv.data.KUBERNETES_SERVICE_HOST, apiC);
      assert.deepEqual(await ask('kubernetes.default.svc.cluster.local'), { rcode: 0, ips: [apiC] });
      assert.equal((await ask('nothing.default.svc.cluster.local')).rcode, 3, 'NXDOMAIN');
      // An address that is no synced pod gets no cluster's answers.
      assert.equal((await ask('web.default.svc.cluster.local', '127.0.0.9')).rcode, 2, 'SERVFAIL');
      // The pod's resolv.conf points at this server.
      const hp = await json(await host2.env('host'), 'get', 'pod', 'client-x-default-x-c', '-n', HOST_NS);
      assert.equal(hp.spec.dnsPolicy, 'None');
      assert.deepEqual(hp.spec.dnsConfig.nameservers, ['127.0.0.1']);
      assert.equal(hp.spec.dnsConfig.searches[0], 'default.svc.cluster.local');
      await t.tenant.server.manager.remove('c');
    } finally {
      await host2.server.close();
    }
  });

  test('the VirtualCluster status says it is connected to its host', async () => {
    const admin = t.tenant.server.admin;
    const cond = () => {
      const obj = admin.store.peek(admin.registry.find('kubevisor.dev', 'v1alpha1', 'virtualclusters')!, undefined, 'a');
      return ((obj?.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).find((c) => c.type === 'HostConnected');
    };
    await eventually(() => cond()?.status === 'True', 5000, 'HostConnected=True');
  });

  test('the pod\'s service-account token comes from the virtual cluster, is short-lived and works against it', async () => {
    const secrets = await hostItems('secrets', 'kubevisor.dev/vcluster=a');
    const tokenSecret = secrets.find((s) => s.metadata.annotations?.['kubevisor.dev/object-kind'] === 'Pod');
    assert.ok(tokenSecret, 'a token Secret for a pod');
    const token = Buffer.from((tokenSecret.data as Record<string, string>).token!, 'base64').toString();
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    assert.ok(payload.exp - payload.iat <= 3700, `lifetime ${payload.exp - payload.iat} s`);
    assert.equal(payload['kubernetes.io'].pod.name, tokenSecret.metadata.annotations?.['kubevisor.dev/object-name']);
    // The token authenticates to the virtual cluster (the server finds the cluster by the token).
    const r = await kubectl({ ...envA, KUBECONFIG: '/dev/null' }, ['--server', t.tenant.server.url, '--insecure-skip-tls-verify', '--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(r.stdout, 'system:serviceaccount:default:default', r.out);
  });

  test('logs and exec on a virtual pod reach its host pod', async () => {
    await k(envA, 'run', 'shell', '--image=busybox', '--restart=Never');
    await eventually(async () => (await json(envA, 'get', 'pod', 'shell')).status.phase === 'Running', 30_000, 'shell runs');
    // What the simulated host pod runs is the host's business (a tenant cannot set it).
    const logFile = join(t.dir, 'shell.log');
    writeFileSync(logFile, 'one\ntwo\nthree\n');
    await k(hostEnv, 'annotate', 'pod', 'shell-x-default-x-a', '-n', HOST_NS, 'kubevisor.dev/exec-command=/bin/sh', `kubevisor.dev/logs-file=${logFile}`);
    assert.equal(await k(envA, 'logs', 'shell', '--tail=2'), 'two\nthree\n');
    const r = await kubectl(envA, ['exec', 'shell', '--', 'sh', '-c', 'echo from-host; exit 3']);
    assert.equal(r.code, 3, r.out);
    assert.equal(r.stdout, 'from-host\n');
    // The pod reaches the API where the virtual cluster's kubernetes Service says it is; its
    // variables and the service links come from the syncer's ConfigMaps through envFrom.
    const env = await kubectl(envA, ['exec', 'shell', '--', 'sh', '-c', 'echo "$KUBERNETES_SERVICE_HOST"; echo "$WEB_SERVICE_HOST"']);
    assert.equal(env.code, 0, env.out);
    const [apiHost = '', webHost] = env.stdout.trim().split('\n');
    assert.equal(webHost, (await json(envA, 'get', 'service', 'web')).spec.clusterIP);
    assert.match(apiHost, /^[\d.]+$|:/);
    await eventually(async () => (await k(envA, 'get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}')) === apiHost, 10_000, `kubernetes Service at ${apiHost}`);
    // A label set on the running virtual pod reaches the host pod.
    await k(envA, 'label', 'pod', 'shell', 'tier=debug');
    await eventually(async () => (await json(hostEnv, 'get', 'pod', 'shell-x-default-x-a', '-n', HOST_NS)).metadata.labels?.tier === 'debug', 10_000, 'label on the host pod');
    const missing = await kubectl(envA, ['logs', 'nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /pods "nope" not found/);
    await k(envA, 'delete', 'pod', 'shell', '--wait=true');
  });

  test('kubectl debug adds an ephemeral container to a synced pod: it runs on the host pod and its status comes back', async () => {
    await k(envA, 'run', 'debuggee', '--image=busybox', '--restart=Never');
    await eventually(async () => (await json(envA, 'get', 'pod', 'debuggee')).status.phase === 'Running', 30_000, 'debuggee runs');
    await k(envA, 'debug', 'debuggee', '--image=busybox', '-c', 'dbg', '--attach=false');
    type Status = { name: string; state?: { running?: unknown } };
    const running = (st: { ephemeralContainerStatuses?: Status[] } | undefined, name: string) =>
      st?.ephemeralContainerStatuses?.some((s) => s.name === name && s.state?.running !== undefined) === true;
    await eventually(async () => running((await json(envA, 'get', 'pod', 'debuggee')).status, 'dbg'), 30_000, 'dbg running in the virtual pod');
    const hp = await json(hostEnv, 'get', 'pod', 'debuggee-x-default-x-a', '-n', HOST_NS);
    assert.ok(running(hp.status, 'dbg'), JSON.stringify(hp.status));
    const dbg = (hp.spec.ephemeralContainers as { name: string; image: string; envFrom?: { configMapRef?: { name: string } }[] }[]).find((c) => c.name === 'dbg');
    assert.equal(dbg?.image, 'busybox');
    // Translated as the pod's own containers are: kubelet's variables from the syncer's ConfigMaps.
    assert.deepEqual(dbg?.envFrom?.map((e) => e.configMapRef?.name), ['kubernetes-x-a.env', 'service-links-x-default-x-a.env']);
    // --target names a container of the pod, whose name is the same on the host.
    await k(envA, 'debug', 'debuggee', '--image=busybox', '-c', 'dbg2', '--target=debuggee', '--attach=false');
    await eventually(async () => running((await json(envA, 'get', 'pod', 'debuggee')).status, 'dbg2'), 30_000, 'dbg2 running in the virtual pod');
    const hp2 = await json(hostEnv, 'get', 'pod', 'debuggee-x-default-x-a', '-n', HOST_NS);
    assert.deepEqual(hp2.spec.ephemeralContainers.map((c: { name: string }) => c.name), ['dbg', 'dbg2']);
    assert.equal(hp2.spec.ephemeralContainers[1].targetContainerName, 'debuggee');
    const events = (await json(envA, 'get', 'events', '--field-selector', 'involvedObject.name=debuggee')).items as { reason: string }[];
    assert.ok(!events.some((e) => e.reason === 'SyncError'), JSON.stringify(events));
    await k(envA, 'delete', 'pod', 'debuggee', '--wait=true');
  });

  test('deleting the Deployment removes its host pods; pause removes the cluster\'s pods and resume brings them back', async () => {
    await k(envB, 'delete', 'deployment', 'web', '--wait=true');
    await eventually(async () => (await hostItems('pods', 'kubevisor.dev/vcluster=b')).length === 0, 30_000, 'b\'s host pods gone');
    // With no pod left, what they read leaves too: the config map and the ConfigMaps of kubelet's variables.
    await eventually(async () => (await hostItems('configmaps', 'kubevisor.dev/vcluster=b')).length === 0, 10_000, 'b\'s config maps gone');
    assert.equal((await hostItems('pods', 'kubevisor.dev/vcluster=a')).length, 2, 'a\'s pods stay');
    // The claims outlive the pods that used them; deleting one removes its host copy.
    assert.ok((await hostItems('persistentvolumeclaims')).some((c) => c.metadata.name === 'web-data-x-default-x-b'), 'b\'s claim stays');
    await k(envB, 'delete', 'pvc', 'spare', '--wait=true');
    await eventually(async () => !(await hostItems('persistentvolumeclaims')).some((c) => c.metadata.name === 'spare-x-default-x-b'), 30_000, 'b\'s spare claim gone from the host');
    await t.tenant.server.ensureCluster('a', { paused: true }).catch((e: { code?: number }) => { if (e.code !== 503) throw e; });
    await eventually(async () => (await hostItems('pods', 'kubevisor.dev/vcluster=a')).length === 0, 30_000, 'a\'s host pods gone on pause');
    await t.tenant.server.ensureCluster('a', { paused: false });
    await eventually(async () => (await hostItems('pods', 'kubevisor.dev/vcluster=a')).length === 2, 30_000, 'a\'s host pods back on resume');
    await k(envA, 'rollout', 'status', 'deployment/web', '--timeout=60s');
  });

  test('the ConfigMaps of kubelet\'s variables are restored when changed or deleted on the host, and follow new services', async () => {
    const data = async () => ((await json(hostEnv, 'get', 'configmap', 'service-links-x-default-x-a.env', '-n', HOST_NS)).data ?? {}) as Record<string, string>;
    const before = await data();
    assert.ok(before.WEB_SERVICE_HOST, 'the web service is in it');
    await k(hostEnv, 'patch', 'configmap', 'service-links-x-default-x-a.env', '-n', HOST_NS, '--type=merge', '-p', '{"data":{"WEB_SERVICE_HOST":"192.0.2.1"}}');
    await eventually(async () => (await data()).WEB_SERVICE_HOST === before.WEB_SERVICE_HOST, 10_000, 'restored after a change');
    assert.deepEqual(await data(), before);
    await k(hostEnv, 'delete', 'configmap', 'kubernetes-x-a.env', '-n', HOST_NS);
    await eventually(async () => (await kubectl(hostEnv, ['get', 'configmap', 'kubernetes-x-a.env', '-n', HOST_NS])).code === 0, 10_000, 'restored after a deletion');
    await k(envA, 'create', 'service', 'clusterip', 'late', '--tcp=8080');
    await eventually(async () => (await data()).LATE_SERVICE_PORT === '8080', 10_000, 'a new service in the ConfigMap');
    await k(envA, 'delete', 'service', 'late');
    await eventually(async () => (await data()).LATE_SERVICE_PORT === undefined, 10_000, 'a deleted service out of it');
  });

  test('a pod the host refuses (quota) shows the host\'s reason in the virtual cluster', async () => {
    await k(hostEnv, 'create', 'quota', 'tight', '-n', HOST_NS, '--hard=configmaps=100,pods=2');
    try {
      await k(envB, 'run', 'extra', '--image=busybox', '--restart=Never');
      await eventually(async () => {
        const ev = (await json(envB, 'get', 'events', '--field-selector', 'involvedObject.name=extra')).items as { reason: string; message: string }[];
        return ev.some((e) => e.reason === 'SyncError' && e.message.includes('exceeded quota'));
      }, 20_000, 'a SyncError event with the quota message');
      const pod = await json(envB, 'get', 'pod', 'extra');
      const cond = (pod.status.conditions as { type: string; status: string; reason: string }[]).find((c) => c.type === 'PodScheduled');
      assert.equal(cond?.status, 'False');
      assert.equal(cond?.reason, 'SyncError');
    } finally {
      await k(hostEnv, 'delete', 'quota', 'tight', '-n', HOST_NS);
    }
    await eventually(async () => (await json(envB, 'get', 'pod', 'extra')).status.phase === 'Running', 30_000, 'extra runs once the quota is gone');
  });

  test('warnings the host records about a synced pod show on the virtual pod, in its own name', async () => {
    await k(envA, 'run', 'picky', '--image=busybox', '--restart=Never', '--overrides={"spec":{"nodeSelector":{"disk":"none"}}}');
    await eventually(async () => {
      const ev = (await json(envA, 'get', 'events', '--field-selector', 'involvedObject.name=picky')).items as { reason: string; message: string; type: string }[];
      return ev.some((e) => e.reason === 'FailedScheduling' && e.type === 'Warning' && /didn't match Pod's node affinity\/selector/.test(e.message));
    }, 20_000, 'FailedScheduling from the host');
    const text = await k(envA, 'describe', 'pod', 'picky');
    assert.match(text, /FailedScheduling/);
    assert.doesNotMatch(text, /-x-default-x-a|tenants\//);
    await k(envA, 'delete', 'pod', 'picky', '--wait=true');
  });

  test('the host scheduler\'s and kubelet\'s events about a synced pod show on the virtual pod, in its own name', async () => {
    await k(envA, 'run', 'storyteller', '--image=busybox', '--restart=Never');
    type Ev = { reason: string; message: string; type: string; source?: { component?: string }; involvedObject: { name: string; uid: string; fieldPath?: string } };
    let events: Ev[] = [];
    await eventually(async () => {
      events = (await json(envA, 'get', 'events', '--field-selector', 'involvedObject.name=storyteller')).items as Ev[];
      return ['Scheduled', 'Pulled', 'Created', 'Started'].every((r) => events.some((e) => e.reason === r));
    }, 20_000, 'Scheduled, Pulled, Created and Started from the host');
    const uid = (await json(envA, 'get', 'pod', 'storyteller')).metadata.uid;
    const node = (await json(envA, 'get', 'pod', 'storyteller')).spec.nodeName;
    const scheduled = events.find((e) => e.reason === 'Scheduled')!;
    assert.equal(scheduled.type, 'Normal');
    assert.equal(scheduled.message, `Successfully assigned default/storyteller to ${node}`);
    assert.ok(events.every((e) => e.involvedObject.uid === uid), 'every event names the virtual pod');
    assert.equal(events.find((e) => e.reason === 'Started')!.involvedObject.fieldPath, 'spec.containers{storyteller}');
    const text = await k(envA, 'describe', 'pod', 'storyteller');
    assert.match(text, /Started/);
    assert.doesNotMatch(text, /-x-default-x-a|tenants\//);
    await k(envA, 'delete', 'pod', 'storyteller', '--wait=true');
  });

  test('a pod bound in the virtual cluster (created with a nodeName, for a scheduler the host lacks) runs on that host node', async () => {
    const nodes = ((await json(hostEnv, 'get', 'nodes')).items as KubeObject[]).map((n) => n.metadata.name as string).sort();
    const node = nodes[nodes.length - 1]!;
    const file = join(t.dir, 'pinned.yaml');
    writeFileSync(file, `
apiVersion: v1
kind: Pod
metadata: { name: pinned }
spec: { nodeName: ${node}, schedulerName: tenant-scheduler, containers: [{ name: c, image: busybox }] }
`);
    await k(envA, 'apply', '-f', file);
    await eventually(async () => (await json(envA, 'get', 'pod', 'pinned')).status.phase === 'Running', 30_000, 'the pinned pod runs');
    const hostPod = await json(hostEnv, 'get', 'pod', 'pinned-x-default-x-a', '-n', HOST_NS);
    assert.equal(hostPod.spec.nodeName, node);
    assert.equal(hostPod.spec.schedulerName, 'default-scheduler');
    assert.equal((await json(envA, 'get', 'pod', 'pinned')).spec.nodeName, node);
    await k(envA, 'delete', 'pod', 'pinned', '--wait=true');
  });

  // A cluster whose tenant runs its own scheduler: the host runs default-scheduler and (so the
  // cluster says) volcano, which this host kubevisor does not, so such host pods stay unbound there.
  const SCHED_NS = 'scheduling';
  let envS: NodeJS.ProcessEnv;
  let hostNodeNames: string[] = [];
  const bindTo = async (env: NodeJS.ProcessEnv, pod: string, node: string) => {
    const file = join(t.dir, `binding-${pod}.json`);
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: pod }, target: { apiVersion: 'v1', kind: 'Node', name: node } }));
    await k(env, 'create', '--raw', `/api/v1/namespaces/default/pods/${pod}/binding`, '-f', file);
  };
  const hostPod = async (name: string): Promise<KubeObject | undefined> => {
    const r = await kubectl(hostEnv, ['get', 'pod', name, '-n', SCHED_NS, '-o', 'json'], 30_000);
    if (r.code !== 0) { assert.match(r.out, /NotFound/, r.out); return undefined; }
    return JSON.parse(r.stdout);
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('allNodes: a cluster for a tenant\'s scheduler lists every host node, with no pod running there', async () => {
    await t.tenant.server.ensureCluster('sched', {
      host: { kubeconfigFile: hostKubeconfig, namespace: SCHED_NS, sync: { hostSchedulers: ['default-scheduler', 'volcano'], allNodes: true } },
    });
    envS = await t.tenant.env('sched');
    await eventually(async () => (await kubectl(envS, ['create', 'service', 'clusterip', 'probe', '--tcp=80'])).code === 0, 20_000, 'syncer of sched connected');
    hostNodeNames = ((await json(hostEnv, 'get', 'nodes')).items as KubeObject[]).map((n) => n.metadata.name as string).sort();
    assert.equal(hostNodeNames.length, 3);
    const virtualNodes = async () => ((await json(envS, 'get', 'nodes')).items as KubeObject[]).map((n) => n.metadata.name as string).sort();
    await eventually(async () => JSON.stringify(await virtualNodes()) === JSON.stringify(hostNodeNames), 20_000, 'every host node in sched');
    assert.deepEqual((await json(envS, 'get', 'pods', '-A')).items, []);
    // The nodes show made-up data (sync.nodes: fake), under the host nodes' names.
    const node = await json(envS, 'get', 'node', hostNodeNames[0]!);
    assert.equal(node.metadata.labels['kubevisor.dev/fake-node'], 'true');
  });

  test('a pod for the tenant\'s scheduler waits in the virtual cluster with nothing on the host, and runs where pods/binding puts it', async () => {
    const file = join(t.dir, 'held.yaml');
    writeFileSync(file, `
apiVersion: v1
kind: ConfigMap
metadata: { name: held-config }
data: { A: b }
---
apiVersion: v1
kind: Pod
metadata: { name: held }
spec:
  schedulerName: tenant-scheduler
  containers: [{ name: c, image: busybox, envFrom: [{ configMapRef: { name: held-config } }] }]
---
apiVersion: v1
kind: Pod
metadata: { name: dropped }
spec: { schedulerName: tenant-scheduler, containers: [{ name: c, image: busybox }] }
`);
    await k(envS, 'apply', '-f', file);
    for (const end = Date.now() + 2500; Date.now() < end; await sleep(250)) {
      assert.equal(await hostPod('held-x-default-x-sched'), undefined, 'no host pod while held');
    }
    const onHost = async () => ((await json(hostEnv, 'get', 'pods,configmaps,secrets', '-n', SCHED_NS, '-l', 'kubevisor.dev/vcluster=sched')).items as KubeObject[])
      .map((o) => `${o.kind}/${o.metadata.name}`);
    assert.deepEqual(await onHost(), [], 'nothing of the held pods on the host');
    const v = await json(envS, 'get', 'pod', 'held');
    assert.equal(v.status.phase, 'Pending');
    assert.equal(v.spec.nodeName, undefined);
    assert.equal((v.status.conditions ?? []).find((c: { type: string }) => c.type === 'PodScheduled'), undefined, 'no PodScheduled from the syncer');
    // A held pod deleted leaves nothing anywhere.
    await k(envS, 'delete', 'pod', 'dropped', '--wait=true');
    assert.equal((await kubectl(envS, ['get', 'pod', 'dropped'])).code, 1);

    const node = hostNodeNames[1]!;
    await bindTo(envS, 'held', node);
    await eventually(async () => (await json(envS, 'get', 'pod', 'held')).status.phase === 'Running', 30_000, 'the bound pod runs');
    const hp = (await hostPod('held-x-default-x-sched'))!;
    const hspec = hp.spec as { nodeName?: string; schedulerName?: string; affinity?: unknown };
    assert.equal(hspec.nodeName, node);
    assert.equal(hspec.schedulerName, 'default-scheduler');
    assert.deepEqual(hspec.affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } });
    const after = await json(envS, 'get', 'pod', 'held');
    assert.equal(after.spec.nodeName, node);
    assert.equal(after.metadata.uid, v.metadata.uid);
    assert.ok((await onHost()).includes('ConfigMap/held-config-x-default-x-sched'), 'its config map went with it');
    assert.ok(!(await onHost()).some((n) => n.includes('dropped')));
    await k(envS, 'delete', 'pod', 'held', '--wait=true');
  });

  test('a binding in the virtual cluster after the host pod was made, still unbound on the host: the host pod is made again on that node', async () => {
    await k(envS, 'run', 'late', '--image=busybox', '--restart=Never', '--overrides={"spec":{"schedulerName":"volcano"}}');
    let first: KubeObject | undefined;
    await eventually(async () => (first = await hostPod('late-x-default-x-sched')) !== undefined, 20_000, 'the host pod for a host scheduler');
    assert.equal((first!.spec as { schedulerName?: string }).schedulerName, 'volcano');
    await sleep(1000);
    assert.equal(((await hostPod('late-x-default-x-sched'))!.spec as { nodeName?: string }).nodeName, undefined, 'no volcano on this host');
    const uid = (await json(envS, 'get', 'pod', 'late')).metadata.uid;
    const node = hostNodeNames[2]!;
    await bindTo(envS, 'late', node);
    await eventually(async () => (await json(envS, 'get', 'pod', 'late')).status.phase === 'Running', 30_000, 'the pod runs');
    const again = (await hostPod('late-x-default-x-sched'))!;
    assert.notEqual(again.metadata.uid, first!.metadata.uid, 'made again');
    assert.equal((again.spec as { nodeName?: string }).nodeName, node);
    const v = await json(envS, 'get', 'pod', 'late');
    assert.equal(v.metadata.uid, uid, 'the virtual pod is the same one (not taken for lost)');
    assert.equal(v.spec.nodeName, node);
    await k(envS, 'delete', 'pod', 'late', '--wait=true');
  });

  test('a host event about a synced service shows on the virtual service, in its own name', async () => {
    await k(envA, 'create', 'service', 'clusterip', 'announced', '--tcp=80');
    const hostSvc = 'announced-x-default-x-a';
    await eventually(async () => (await kubectl(hostEnv, ['get', 'service', hostSvc, '-n', HOST_NS])).code === 0, 10_000, 'the host service');
    const file = join(t.dir, 'host-event.yaml');
    writeFileSync(file, `
apiVersion: v1
kind: Event
metadata: { name: lb-failed, namespace: ${HOST_NS} }
involvedObject: { kind: Service, apiVersion: v1, namespace: ${HOST_NS}, name: ${hostSvc} }
reason: SyncLoadBalancerFailed
message: "Error syncing load balancer for ${HOST_NS}/${hostSvc}: quota reached"
type: Warning
source: { component: service-controller }
`);
    await k(hostEnv, 'apply', '-f', file);
    let ev: { message: string; involvedObject: { kind: string; name: string } }[] = [];
    await eventually(async () => {
      ev = (await json(envA, 'get', 'events', '--field-selector', 'involvedObject.name=announced')).items;
      return ev.some((e) => e.involvedObject.kind === 'Service');
    }, 10_000, 'the event on the virtual service');
    assert.equal(ev[0]!.message, 'Error syncing load balancer for default/announced: quota reached');
    await k(hostEnv, 'delete', 'event', 'lb-failed', '-n', HOST_NS);
    await k(envA, 'delete', 'service', 'announced');
  });

  test('a service without a selector takes its endpoints from the virtual cluster', async () => {
    const manifest = join(t.dir, 'external.yaml');
    writeFileSync(manifest, `
apiVersion: v1
kind: Service
metadata: { name: external-db }
spec: { ports: [{ port: 5432 }] }
---
apiVersion: v1
kind: Endpoints
metadata: { name: external-db }
subsets: [{ addresses: [{ ip: 192.0.2.10 }], ports: [{ port: 5432 }] }]
`);
    await k(envA, 'apply', '-f', manifest);
    await eventually(async () => {
      const r = await kubectl(hostEnv, ['get', 'endpoints', 'external-db-x-default-x-a', '-n', HOST_NS, '-o', 'json']);
      return r.code === 0 && JSON.parse(r.stdout).subsets?.[0]?.addresses?.[0]?.ip === '192.0.2.10';
    }, 10_000, 'host endpoints of the selector-less service');
    await k(envA, 'delete', 'service', 'external-db');
    await eventually(async () => (await kubectl(hostEnv, ['get', 'endpoints', 'external-db-x-default-x-a', '-n', HOST_NS])).code !== 0, 10_000, 'host endpoints gone');
  });

  test('kubectl top pod and top node in a virtual cluster: the host\'s metrics, under the virtual names', async () => {
    const manifest = join(t.dir, 'top.yaml');
    writeFileSync(manifest, `
apiVersion: v1
kind: Namespace
metadata: { name: top }
---
apiVersion: v1
kind: Pod
metadata: { name: busy, namespace: top, labels: { app: busy } }
spec:
  containers:
  - { name: app, image: nginx, resources: { requests: { cpu: 200m, memory: 128Mi } } }
  - { name: log, image: busybox }
`);
    await k(envA, 'apply', '-f', manifest);
    await k(envA, 'wait', '--for=condition=Ready', 'pod/busy', '-n', 'top', '--timeout=60s');
    const pods = await k(envA, 'top', 'pod', '-n', 'top');
    assert.match(pods, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
    assert.match(pods, /^busy\s+\d+m\s+\d+Mi\s*$/m);
    const containers = await k(envA, 'top', 'pod', 'busy', '-n', 'top', '--containers');
    assert.match(containers, /^busy\s+app\s+\d+m\s+\d+Mi\s*$/m);
    assert.match(containers, /^busy\s+log\s+\d+m\s+\d+Mi\s*$/m);
    const all = await k(envA, 'top', 'pod', '-A');
    assert.match(all, /^top\s+busy\s+\d+m\s+\d+Mi\s*$/m);
    assert.doesNotMatch(all, /-x-/, 'no host names');
    // The host measures the host pod; the virtual cluster shows the same, as its own.
    assert.match(await k(hostEnv, 'top', 'pod', '-n', HOST_NS), /^busy-x-top-x-a\s+\d+m\s+\d+Mi\s*$/m);
    // Its made-up node shows what the cluster's own pods on it use.
    const node = await k(envA, 'get', 'pod', 'busy', '-n', 'top', '-o', 'jsonpath={.spec.nodeName}');
    assert.match(await k(envA, 'top', 'node', node), new RegExp(`^${node}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%\\s*$`, 'm'));
    await k(envA, 'delete', 'namespace', 'top', '--wait=false');
  });

  test('deleting a virtual cluster leaves nothing of it on the host', async () => {
    await t.tenant.server.manager.remove('b');
    for (const kind of ['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims']) {
      assert.deepEqual((await hostItems(kind, 'kubevisor.dev/vcluster=b')).map((o) => o.metadata.name), [], kind);
    }
    assert.ok((await hostItems('pods', 'kubevisor.dev/vcluster=a')).length > 0, 'a is untouched');
  });
});
