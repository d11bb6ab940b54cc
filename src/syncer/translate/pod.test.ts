import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { deepCopy } from '../../api/json-copy.ts';
import { hostKubernetesEnvName, hostName, hostServiceLinksName } from './names.ts';
import { formatDownwardMap, type PodContext, toHostPod } from './pod.ts';
import type { EnvVar, PodContainer, PodDNSConfig, Volume } from './pod-types.ts';

const VC = 'team-a';
const NS = 'production-apps';
const POD = 'frontend-deployment-with-a-long-name-5f7b8c9d4-xk2lp';
const h = (n: string) => hostName(n, NS, VC);

/** A Deployment's pod as the virtual cluster stores it (after its admission). */
function deploymentPod(): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: POD, namespace: NS, uid: '6f1c-uid', generateName: 'frontend-deployment-with-a-long-name-5f7b8c9d4-',
      labels: { app: 'frontend', 'pod-template-hash': '5f7b8c9d4' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-05-01T10:00:00Z' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'frontend-5f7b8c9d4', uid: 'rs', controller: true }],
    },
    spec: {
      serviceAccountName: 'frontend', serviceAccount: 'frontend',
      nodeName: 'virtual-node-1', priority: 1000, priorityClassName: 'high', preemptionPolicy: 'PreemptLowerPriority',
      dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', schedulerName: 'default-scheduler',
      imagePullSecrets: [{ name: 'regcred' }],
      readinessGates: [{ conditionType: 'example.com/ready' }],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      containers: [{
        name: 'web', image: 'nginx:1.27',
        env: [
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'frontend-config', key: 'mode' } } },
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          { name: 'POD_NS', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
          { name: 'SA', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.serviceAccountName' } } },
          { name: 'APP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['app']" } } },
          { name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
          { name: 'DB_SERVICE_HOST', value: 'db.example' },
          { name: 'DB_URL', value: 'postgres://$(DB_SERVICE_HOST):$(DB_SERVICE_PORT)' },
        ],
        envFrom: [{ configMapRef: { name: 'frontend-env' } }, { prefix: 'S_', secretRef: { name: 'frontend-secrets' } }],
        volumeMounts: [
          { name: 'tls', mountPath: '/tls' },
          { name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
        ],
      }],
      initContainers: [{ name: 'migrate', image: 'migrate:1' }],
      volumes: [
        { name: 'config', configMap: { name: 'frontend-config', defaultMode: 420 } },
        { name: 'tls', secret: { secretName: 'frontend-tls', defaultMode: 256 } },
        { name: 'data', persistentVolumeClaim: { claimName: 'frontend-data' } },
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } } },
        { name: 'podinfo', downwardAPI: { items: [
          { path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
          { path: 'name', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
          { path: 'cpu', resourceFieldRef: { containerName: 'web', resource: 'limits.cpu' } },
        ] } },
        { name: 'kube-api-access-x7k2p', projected: { defaultMode: 420, sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ] } },
        { name: 'vault', projected: { sources: [
          { serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'vault-token' } },
          { secret: { name: 'vault-ca', items: [{ key: 'ca', path: 'ca.pem' }] } },
        ] } },
      ],
    },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

const ctx: PodContext = {
  vcluster: VC, hostNamespace: 'tenants',
  apiServer: { host: '10.96.0.10', port: 443 }, dnsIP: '10.96.0.11',
  hostServiceAccount: 'kubevisor-workload', tokenSecretName: 'pod-token-secret',
  enforced: { nodeSelector: { pool: 'tenants' }, tolerations: [{ key: 'tenant', operator: 'Equal', value: 'a', effect: 'NoSchedule' }], runtimeClassName: 'gvisor' },
};

interface Spec {
  containers: PodContainer[]; initContainers: PodContainer[]; volumes: Volume[];
  dnsConfig?: PodDNSConfig; [f: string]: unknown;
}

function translate(vPod = deploymentPod(), c: PodContext = ctx) {
  const r = toHostPod(vPod, c);
  return { ...r, spec: r.pod.spec as Spec };
}

function envOf(c: PodContainer): Map<string, EnvVar> {
  return new Map((c.env ?? []).map((e) => [e.name, e]));
}

test('host pod identity: hashed name, host namespace, markers, no virtual owners', () => {
  const { pod } = translate();
  assert.equal(pod.metadata.name, h(POD));
  assert.ok(pod.metadata.name!.length <= 63);
  assert.equal(pod.metadata.namespace, 'tenants');
  assert.equal(pod.metadata.ownerReferences, undefined);
  assert.equal(pod.metadata.generateName, undefined);
  assert.equal(pod.status, undefined);
  assert.deepEqual(pod.metadata.labels, {
    app: 'frontend', 'pod-template-hash': '5f7b8c9d4', 'kubevisor.dev/vcluster': VC, 'kubevisor.dev/namespace': NS,
  });
  const a = pod.metadata.annotations!;
  assert.equal(a['kubevisor.dev/object-name'], POD);
  assert.equal(a['kubevisor.dev/object-kind'], 'Pod');
  assert.equal(a['kubectl.kubernetes.io/restartedAt'], '2024-05-01T10:00:00Z');
  assert.equal(a['kubevisor.dev/labels'], 'app="frontend"\npod-template-hash="5f7b8c9d4"');
});

test('references to config maps, secrets and claims are renamed', () => {
  const { spec } = translate();
  const vols = new Map(spec.volumes.map((v) => [v.name, v]));
  assert.equal(vols.get('config')!.configMap!.name, h('frontend-config'));
  assert.equal(vols.get('config')!.configMap!['defaultMode'], 420);
  assert.equal(vols.get('tls')!.secret!.secretName, h('frontend-tls'));
  assert.equal(vols.get('data')!.persistentVolumeClaim!.claimName, h('frontend-data'));
  assert.deepEqual(vols.get('scratch'), { name: 'scratch', persistentVolumeClaim: { claimName: h(`${POD}-scratch`) } });
  assert.deepEqual(spec['imagePullSecrets'], [{ name: h('regcred') }]);
  const web = spec.containers[0];
  const env = envOf(web);
  assert.equal(env.get('MODE')!.valueFrom!.configMapKeyRef!.name, h('frontend-config'));
  assert.equal(env.get('DB_PASSWORD')!.valueFrom!.secretKeyRef!.name, h('db-credentials'));
  assert.deepEqual(web.envFrom!.slice(2), [{ configMapRef: { name: h('frontend-env') } }, { prefix: 'S_', secretRef: { name: h('frontend-secrets') } }]);
  const vault = vols.get('vault')!.projected!.sources!;
  assert.deepEqual(vault[1].secret, { name: h('vault-ca'), items: [{ key: 'ca', path: 'ca.pem' }] });
});

test('the kube-api-access volume serves token, ca.crt and namespace from the token Secret', () => {
  const { spec, tokens } = translate();
  const v = spec.volumes.find((x) => x.name === 'kube-api-access-x7k2p')!;
  assert.deepEqual(v.projected, {
    defaultMode: 420,
    sources: [{ secret: { name: 'pod-token-secret', items: [
      { key: 'token', path: 'token' }, { key: 'ca.crt', path: 'ca.crt' }, { key: 'namespace', path: 'namespace' },
    ] } }],
  });
  const vault = spec.volumes.find((x) => x.name === 'vault')!.projected!.sources![0];
  assert.equal(vault.secret!.name, 'pod-token-secret');
  assert.equal(vault.secret!.items![0].path, 'vault-token');
  assert.deepEqual(tokens.map((t) => [t.audiences, t.expirationSeconds]), [[[], 3607], [['vault'], 600]]);
  assert.equal(tokens[0].key, 'token');
  assert.equal(vault.secret!.items![0].key, tokens[1].key);
  // The mount is untouched: the container sees the same files at the same path.
  assert.equal((spec.containers[0]['volumeMounts'] as { mountPath: string }[])[1].mountPath, '/var/run/secrets/kubernetes.io/serviceaccount');
});

test('downward API files read the virtual values through host annotations', () => {
  const { spec } = translate();
  const items = spec.volumes.find((x) => x.name === 'podinfo')!.downwardAPI!.items!;
  assert.equal(items[0].fieldRef!.fieldPath, "metadata.annotations['kubevisor.dev/labels']");
  assert.equal(items[1].fieldRef!.fieldPath, "metadata.annotations['kubevisor.dev/object-name']");
  assert.deepEqual(items[2]['resourceFieldRef'], { containerName: 'web', resource: 'limits.cpu' });
});

test('no host credentials; the host service account and the virtual identity', () => {
  const { spec } = translate();
  assert.equal(spec['serviceAccountName'], 'kubevisor-workload');
  assert.equal(spec['serviceAccount'], undefined);
  assert.equal(spec['automountServiceAccountToken'], false);
  assert.equal(spec['enableServiceLinks'], false);
  const env = envOf(spec.containers[0]);
  assert.deepEqual(env.get('POD_NAME'), { name: 'POD_NAME', value: POD });
  assert.deepEqual(env.get('POD_NS'), { name: 'POD_NS', value: NS });
  assert.deepEqual(env.get('SA'), { name: 'SA', value: 'frontend' });
  assert.equal(env.get('APP')!.valueFrom!.fieldRef!.fieldPath, "metadata.labels['app']");
  assert.equal(env.get('NODE')!.valueFrom!.fieldRef!.fieldPath, 'spec.nodeName');
});

test('kubelet\'s variables come from the syncer\'s ConfigMaps, first in envFrom, so the container\'s own win', () => {
  const { spec } = translate();
  const kube = { configMapRef: { name: hostKubernetesEnvName(VC) } };
  const links = { configMapRef: { name: hostServiceLinksName(NS, VC) } };
  const web = spec.containers[0];
  assert.deepEqual(web.envFrom, [kube, links, { configMapRef: { name: h('frontend-env') } }, { prefix: 'S_', secretRef: { name: h('frontend-secrets') } }]);
  // Nothing inline: env is the container's own, in its order, and $(VAR) references stay for kubelet to expand.
  const names = web.env!.map((e) => e.name);
  assert.deepEqual(names, ['MODE', 'DB_PASSWORD', 'POD_NAME', 'POD_NS', 'SA', 'APP', 'NODE', 'DB_SERVICE_HOST', 'DB_URL']);
  assert.equal(envOf(web).get('DB_SERVICE_HOST')!.value, 'db.example');
  assert.equal(envOf(web).get('DB_URL')!.value, 'postgres://$(DB_SERVICE_HOST):$(DB_SERVICE_PORT)');
  // Init containers read them too, and a container without env gets none.
  assert.deepEqual(spec.initContainers[0].envFrom, [kube, links]);
  assert.equal(spec.initContainers[0].env, undefined);
  assert.equal(spec['enableServiceLinks'], false);
});

test('enableServiceLinks: false reads only the kubernetes variables', () => {
  const vPod = deploymentPod();
  (vPod.spec as Spec)['enableServiceLinks'] = false;
  const { spec } = translate(vPod);
  assert.deepEqual(spec.initContainers[0].envFrom, [{ configMapRef: { name: hostKubernetesEnvName(VC) } }]);
  assert.equal(spec.containers[0].envFrom!.length, 3);
});

test('DNS, host aliases and hostname', () => {
  const { spec } = translate();
  assert.equal(spec['dnsPolicy'], 'None');
  assert.deepEqual(spec.dnsConfig, {
    nameservers: ['10.96.0.11'],
    searches: [`${NS}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'],
    options: [{ name: 'ndots', value: '5' }],
  });
  assert.deepEqual(spec['hostAliases'], [{
    ip: '10.96.0.10', hostnames: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
  }]);
  assert.equal(spec['hostname'], POD);
  const vPod = deploymentPod();
  Object.assign(vPod.spec as Spec, { dnsPolicy: 'Default', hostname: 'fixed' });
  const d = translate(vPod).spec;
  assert.equal(d['dnsPolicy'], 'Default');
  assert.equal(d.dnsConfig, undefined);
  assert.equal(d['hostname'], 'fixed');
});

test('scheduling: host schedules, enforced fields applied, virtual-only fields dropped', () => {
  const { spec } = translate();
  for (const f of ['nodeName', 'priority', 'priorityClassName', 'preemptionPolicy', 'readinessGates']) assert.equal(spec[f], undefined, f);
  assert.deepEqual(spec['nodeSelector'], { pool: 'tenants' });
  assert.equal((spec['tolerations'] as unknown[]).length, 2);
  assert.equal(spec['runtimeClassName'], 'gvisor');
  const synced = translate(deploymentPod(), { ...ctx, priorityClassName: (n) => `kubevisor-${n}-x-tenants-x-team-a` }).spec;
  assert.equal(synced['priorityClassName'], 'kubevisor-high-x-tenants-x-team-a');
  assert.equal(synced['priority'], undefined);
});

test('a pod bound in the virtual cluster before it ran on the host is pinned to that node by affinity, for the host\'s scheduler', () => {
  // The fixture is bound (nodeName) and never ran (no hostIP): pinned, whatever scheduler bound it.
  const bound = deploymentPod();
  Object.assign(bound.spec as Spec, { schedulerName: 'my-scheduler' });
  const pinned = translate(bound).spec;
  assert.equal(pinned['nodeName'], undefined);
  assert.equal(pinned['schedulerName'], undefined, 'the host\'s default scheduler carries the choice out');
  assert.deepEqual((pinned['affinity'] as any).nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['virtual-node-1'] }] }]);
  // Existing terms keep their requirements and get the node's name ANDed in; preferred terms and pod affinity stay.
  const withTerms = deploymentPod();
  (withTerms.spec as Spec)['affinity'] = { nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['x'] }] }] },
    preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } }],
  } };
  const na = (translate(withTerms).spec['affinity'] as any).nodeAffinity;
  assert.deepEqual(na.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
    { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['virtual-node-1'] }] },
    { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['x'] }, { key: 'metadata.name', operator: 'In', values: ['virtual-node-1'] }] },
  ]);
  assert.equal(na.preferredDuringSchedulingIgnoredDuringExecution.length, 1);
  // Ran on the host before (a host pod made again after a pause or a loss): placed afresh, scheduler kept.
  const ran = deploymentPod();
  ran.status = { phase: 'Running', hostIP: '10.0.0.5' };
  const fresh = translate(ran).spec;
  assert.equal(fresh['affinity'], undefined);
  assert.equal(fresh['schedulerName'], 'default-scheduler');
  // Not bound: nothing added.
  const unbound = deploymentPod();
  delete (unbound.spec as Spec)['nodeName'];
  assert.equal(translate(unbound).spec['affinity'], undefined);
});

test('the virtual pod is not modified', () => {
  const vPod = deploymentPod();
  const before = deepCopy(vPod);
  translate(vPod);
  assert.deepEqual(vPod, before);
});

test('downward map format quotes like Go', () => {
  assert.equal(formatDownwardMap({ b: 'x"y', a: 'tab\there' }), 'a="tab\\there"\nb="x\\"y"');
  assert.equal(formatDownwardMap({}), '');
});

test('ephemeral containers are left out of the pod and translated beside it as its containers are', () => {
  const vPod = deploymentPod();
  const debug: PodContainer = {
    name: 'debugger', image: 'busybox', targetContainerName: 'web', stdin: true, tty: true,
    terminationMessagePolicy: 'File', imagePullPolicy: 'Always', resources: {},
    env: [
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'debug-config', key: 'mode' } } },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'debug-secret', key: 'token' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'APP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['app']" } } },
    ],
    envFrom: [{ configMapRef: { name: 'frontend-env' } }, { prefix: 'S_', secretRef: { name: 'frontend-secrets' } }],
    volumeMounts: [{ name: 'tls', mountPath: '/tls' }, { name: 'scratch', mountPath: '/scratch' }],
  };
  (vPod.spec as Spec)['ephemeralContainers'] = [debug, { name: 'plain', image: 'busybox' }];
  const before = deepCopy(vPod);
  const r = translate(vPod);
  assert.deepEqual(vPod, before, 'the virtual pod is not modified');
  // A create cannot carry them ("cannot be set on create").
  assert.equal(r.spec['ephemeralContainers'], undefined);
  const [d, plain] = r.ephemeralContainers;
  assert.equal(r.ephemeralContainers.length, 2);
  // What is not a reference stays, targetContainerName among it (container names are the same on the host).
  assert.equal(d!['targetContainerName'], 'web');
  assert.equal(d!['image'], 'busybox');
  assert.equal(d!['stdin'], true);
  assert.equal(d!['terminationMessagePolicy'], 'File');
  // Volume names stay the pod's (whose sources are renamed), so mounts need nothing.
  assert.deepEqual(d!['volumeMounts'], debug['volumeMounts']);
  assert.ok(r.spec.volumes.some((v) => v.name === 'scratch'));
  const env = envOf(d!);
  assert.equal(env.get('MODE')!.valueFrom!.configMapKeyRef!.name, h('debug-config'));
  assert.equal(env.get('TOKEN')!.valueFrom!.secretKeyRef!.name, h('debug-secret'));
  assert.deepEqual(env.get('POD_NAME'), { name: 'POD_NAME', value: POD });
  assert.equal(env.get('APP')!.valueFrom!.fieldRef!.fieldPath, "metadata.labels['app']");
  // Kubelet's variables first, then the container's own sources, renamed: exactly what a regular container gets.
  const kube = { configMapRef: { name: hostKubernetesEnvName(VC) } };
  const links = { configMapRef: { name: hostServiceLinksName(NS, VC) } };
  assert.deepEqual(d!.envFrom, [kube, links, { configMapRef: { name: h('frontend-env') } }, { prefix: 'S_', secretRef: { name: h('frontend-secrets') } }]);
  assert.deepEqual(d!.envFrom, r.spec.containers[0]!.envFrom);
  assert.deepEqual(plain, { name: 'plain', image: 'busybox', envFrom: [kube, links] });
  // A pod without them has none to add.
  assert.deepEqual(translate().ephemeralContainers, []);
});
