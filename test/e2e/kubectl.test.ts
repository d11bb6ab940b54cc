// The real kubectl, over TLS, against a real `kubevisor up`: each supported
// client version runs the everyday commands in a namespace of its own.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { kubectlFor } from '../support/kubectl.ts';
import { issueCertificate, newKeyPair, privateKeyPem } from '../../src/server/pki/certificate.ts';
import { startDemoApiServer, DEMO_GROUP, type DemoApiServer } from '../support/demo-apiserver.ts';

let kv: Kubevisor;

before(async () => { kv = await startKubevisor(); });
after(async () => { await kv?.stop(); });

/** Header words of a printed table. */
function header(out: string): string[] {
  return out.split('\n')[0].trim().split(/\s{2,}/);
}

function rowOf(out: string, name: string): string[] | undefined {
  return out.split('\n').slice(1).map((l) => l.trim().split(/\s{2,}/)).find((cells) => cells.includes(name));
}

for (const version of ['1.27', '1.30', '1.33', 'dispatcher']) {
  describe(`kubectl ${version}`, { concurrency: false }, () => {
    const ns = `e2e-${version.replace('.', '-')}`;
    const k = () => kubectlFor(kv, version);
    const file = (name: string, body: string) => { mkdirSync(kv.home, { recursive: true }); const p = join(kv.home, `${ns}-${name}`); writeFileSync(p, body); return p; };

    test('version, api-resources, api-versions, raw discovery', async () => {
      const v = await k().ok(['version']);
      assert.match(v, /Server Version: (version\.Info\{.*GitVersion:")?v1\.36\.0/);
      const res = await k().ok(['api-resources']);
      assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      assert.match(res, /^pods\s+po\s+v1\s+true\s+Pod$/m);
      const gv = await k().ok(['api-versions']);
      for (const g of ['v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'rbac.authorization.k8s.io/v1']) assert.ok(gv.split('\n').includes(g), g);
      const raw = JSON.parse(await k().ok(['get', '--raw', '/version']));
      assert.equal(raw.major, '1');
      assert.equal(raw.minor, '36');
      const apis = JSON.parse(await k().ok(['get', '--raw', '/apis']));
      assert.equal(apis.kind, 'APIGroupList');
    });

    test('create namespace, configmap, secret, deployment, serviceaccount', async () => {
      assert.match(await k().ok(['create', 'namespace', ns]), new RegExp(`namespace/${ns} created`));
      await k().ok(['create', 'configmap', 'c1', '--from-literal=a=b', '-n', ns]);
      await k().ok(['create', 'secret', 'generic', 's1', '--from-literal=p=q', '-n', ns]);
      await k().ok(['create', 'deployment', 'web', '--image=nginx:1.25', '-n', ns]);
      await k().ok(['create', 'serviceaccount', 'robot', '-n', ns]);
      const dup = await k().run(['create', 'configmap', 'c1', '-n', ns]);
      assert.notEqual(dup.code, 0);
      assert.match(dup.stderr, /AlreadyExists|already exists/);
    });

    test('get: tables, wide, yaml, json, name, jsonpath, -A', async () => {
      const cms = await k().ok(['get', 'configmaps', '-n', ns]);
      assert.deepEqual(header(cms), ['NAME', 'DATA', 'AGE']);
      assert.deepEqual(rowOf(cms, 'c1')?.slice(0, 2), ['c1', '1']);
      const secrets = await k().ok(['get', 'secrets', '-n', ns]);
      assert.deepEqual(header(secrets), ['NAME', 'TYPE', 'DATA', 'AGE']);
      assert.deepEqual(rowOf(secrets, 's1')?.slice(0, 3), ['s1', 'Opaque', '1']);
      const deploys = await k().ok(['get', 'deploy', '-n', ns, '-o', 'wide']);
      assert.deepEqual(header(deploys), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
      assert.deepEqual(rowOf(deploys, 'web')?.slice(5), ['nginx', 'nginx:1.25', 'app=web']);
      const yaml = await k().ok(['get', 'cm', 'c1', '-n', ns, '-o', 'yaml']);
      assert.match(yaml, /^data:\n {2}a: b$/m);
      const json = JSON.parse(await k().ok(['get', 'cm', 'c1', '-n', ns, '-o', 'json']));
      assert.equal(json.data.a, 'b');
      assert.equal(json.metadata.namespace, ns);
      // Every namespace also gets the cluster's CA (published shortly after it is created, as on a real cluster).
      const names = await k().ok(['get', 'cm', '-n', ns, '-o', 'name']);
      assert.ok(names === 'configmap/c1\nconfigmap/kube-root-ca.crt\n' || names === 'configmap/c1\n', names);
      assert.equal(await k().ok(['get', 'cm', 'c1', '-n', ns, '-o', 'jsonpath={.data.a}']), 'b');
      const all = await k().ok(['get', 'cm', '-A']);
      assert.deepEqual(header(all), ['NAMESPACE', 'NAME', 'DATA', 'AGE']);
      assert.deepEqual(rowOf(all, 'c1')?.slice(0, 3), [ns, 'c1', '1']);
      const svc = await k().ok(['get', 'svc', 'kubernetes', '-n', 'default']);
      assert.deepEqual(header(svc), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    });

    test('label and annotate: set, overwrite, remove; label and field selectors', async () => {
      await k().ok(['label', 'cm', 'c1', 'tier=front', '-n', ns]);
      assert.equal(await k().ok(['get', 'cm', '-l', 'tier=front', '-n', ns, '-o', 'name']), 'configmap/c1\n');
      const again = await k().run(['label', 'cm', 'c1', 'tier=back', '-n', ns]);
      assert.notEqual(again.code, 0, 'changing a label needs --overwrite');
      await k().ok(['label', 'cm', 'c1', 'tier=back', '--overwrite', '-n', ns]);
      assert.equal(await k().ok(['get', 'cm', '-l', 'tier in (back)', '-n', ns, '-o', 'name']), 'configmap/c1\n');
      await k().ok(['label', 'cm', 'c1', 'tier-', '-n', ns]);
      assert.equal(await k().ok(['get', 'cm', 'c1', '-n', ns, '-o', 'jsonpath={.metadata.labels}']), '');
      await k().ok(['annotate', 'cm', 'c1', 'note=hello', '-n', ns]);
      await k().ok(['annotate', 'cm', 'c1', 'note=bye', '--overwrite', '-n', ns]);
      assert.equal(await k().ok(['get', 'cm', 'c1', '-n', ns, '-o', 'jsonpath={.metadata.annotations.note}']), 'bye');
      await k().ok(['annotate', 'cm', 'c1', 'note-', '-n', ns]);
      assert.equal(await k().ok(['get', 'cm', 'c1', '-n', ns, '-o', 'jsonpath={.metadata.annotations.note}']), '');
      assert.equal(await k().ok(['get', 'cm', '--field-selector', 'metadata.name=c1', '-n', ns, '-o', 'name']), 'configmap/c1\n');
      const bad = await k().run(['get', 'cm', '--field-selector', 'spec.nope=1', '-n', ns]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /BadRequest|not supported|not a known field selector/);
    });

    test('get --chunk-size pages through everything', async () => {
      for (let i = 0; i < 5; i++) await k().ok(['create', 'configmap', `chunk-${i}`, '-n', ns]);
      const out = await k().ok(['get', 'cm', '-n', ns, '--chunk-size=2', '-o', 'name']);
      for (let i = 0; i < 5; i++) assert.match(out, new RegExp(`configmap/chunk-${i}\n`));
    });

    test('create -f, replace, patch (json and merge), describe', async () => {
      const pod = file('pod.yaml', `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\n  namespace: ${ns}\n  labels:\n    app: p\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n`);
      await k().ok(['create', '-f', pod]);
      const pods = await k().ok(['get', 'pods', '-n', ns]);
      assert.deepEqual(header(pods), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      const row = rowOf(pods, 'p1') ?? [];
      assert.deepEqual([row[0], row[3]], ['p1', '0']);
      assert.match(`${row[1]} ${row[2]}`, /^(0\/1 (Pending|ContainerCreating)|1\/1 Running)$/);
      const created = JSON.parse(await k().ok(['get', 'pod', 'p1', '-n', ns, '-o', 'json']));
      assert.equal(created.spec.restartPolicy, 'Always');
      assert.equal(created.spec.containers[0].imagePullPolicy, 'IfNotPresent');
      const cmFile = file('cm.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rep\n  namespace: ${ns}\ndata:\n  x: "1"\n`);
      await k().ok(['create', '-f', cmFile]);
      writeFileSync(cmFile, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rep\n  namespace: ${ns}\ndata:\n  x: "2"\n`);
      assert.match(await k().ok(['replace', '-f', cmFile]), /configmap\/rep replaced/);
      assert.equal(await k().ok(['get', 'cm', 'rep', '-n', ns, '-o', 'jsonpath={.data.x}']), '2');
      await k().ok(['patch', 'cm', 'rep', '-n', ns, '--type=merge', '-p', '{"data":{"y":"3"}}']);
      await k().ok(['patch', 'cm', 'rep', '-n', ns, '--type=json', '-p', '[{"op":"replace","path":"/data/x","value":"9"}]']);
      assert.equal(await k().ok(['get', 'cm', 'rep', '-n', ns, '-o', 'jsonpath={.data.x},{.data.y}']), '9,3');
      const failed = await k().run(['patch', 'cm', 'rep', '-n', ns, '--type=json', '-p', '[{"op":"test","path":"/data/x","value":"nope"}]']);
      assert.notEqual(failed.code, 0);
      const d = await k().ok(['describe', 'deployment', 'web', '-n', ns]);
      assert.match(d, /^Name:\s+web$/m);
      assert.match(d, /^Namespace:\s+/m);
      assert.match(d, /Image:\s+nginx:1\.25/);
      const dc = await k().ok(['describe', 'cm', 'rep', '-n', ns]);
      assert.match(dc, /^Name:\s+rep$/m);
    });

    test('nodes and events print the columns a real cluster prints', async () => {
      const node = `node-${ns}`;
      await k().ok(['create', '-f', file('node.yaml', `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${node}\n  labels:\n    node-role.kubernetes.io/control-plane: ""\nstatus:\n  conditions:\n  - type: Ready\n    status: "True"\n    reason: KubeletReady\n    message: ready\n    lastHeartbeatTime: "2026-01-01T00:00:00Z"\n    lastTransitionTime: "2026-01-01T00:00:00Z"\n  nodeInfo:\n    kubeletVersion: v1.36.0\n    osImage: Debian\n    kernelVersion: "6.1"\n    containerRuntimeVersion: containerd://2.0\n    architecture: amd64\n    operatingSystem: linux\n    bootID: ""\n    machineID: ""\n    systemUUID: ""\n    kubeProxyVersion: ""\n  addresses:\n  - type: InternalIP\n    address: 10.0.0.9\n`)]);
      const nodes = await k().ok(['get', 'node', node, '-o', 'wide']);
      assert.deepEqual(header(nodes), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
      const row = rowOf(nodes, node) ?? [];
      assert.deepEqual([row[0], row[1], row[2], row[4], row[5]], [node, 'Ready', 'control-plane', 'v1.36.0', '10.0.0.9']);
      await k().ok(['create', '-f', file('event.yaml', `apiVersion: v1\nkind: Event\nmetadata:\n  name: web.1\n  namespace: ${ns}\ninvolvedObject:\n  kind: Deployment\n  name: web\n  namespace: ${ns}\n  apiVersion: apps/v1\nreason: ScalingReplicaSet\nmessage: Scaled up replica set web-1 to 1\ntype: Normal\ncount: 1\nfirstTimestamp: "2026-01-01T00:00:00Z"\nlastTimestamp: "2026-01-01T00:00:00Z"\nsource:\n  component: deployment-controller\n`)]);
      const events = await k().ok(['get', 'events', '-n', ns]);
      assert.deepEqual(header(events), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
      // The deployment controller records events for deployment/web too: find the one this test wrote.
      assert.deepEqual(rowOf(events, 'Scaled up replica set web-1 to 1')?.slice(1), ['Normal', 'ScalingReplicaSet', 'deployment/web', 'Scaled up replica set web-1 to 1']);
      const sel = await k().ok(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.kind=Deployment,reason=ScalingReplicaSet', '-o', 'name']);
      // The deployment controller records its own events for deployment/web too.
      assert.ok(sel.split('\n').includes('event/web.1'), sel);
      await k().ok(['delete', 'node', node]);
    });

    test('scale', async () => {
      assert.match(await k().ok(['scale', 'deploy', 'web', '--replicas=3', '-n', ns]), /scaled/);
      assert.equal(await k().ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), '3');
    });

    test('auth whoami and can-i', async () => {
      const who = await k().run(['auth', 'whoami']);
      if (version !== '1.27') {
        assert.equal(who.code, 0, who.stderr);
        assert.match(who.stdout, /Username\s+kubevisor-admin/);
        assert.match(who.stdout, /system:masters/);
      }
      assert.equal((await k().ok(['auth', 'can-i', 'create', 'pods'])).trim(), 'yes');
      assert.equal((await k().ok(['auth', 'can-i', '*', '*'])).trim(), 'yes');
      const list = await k().ok(['auth', 'can-i', '--list']);
      assert.match(list, /\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
    });

    test('get -w sees a change made by another command', async () => {
      const watcher = spawn(k().bin, ['get', 'cm', '-n', ns, '-w', '--output-watch-events'], {
        env: { PATH: process.env.PATH ?? '', HOME: kv.home, KUBECONFIG: kv.kubeconfig },
      });
      let out = '';
      watcher.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      try {
        await waitFor(() => out.includes('c1'), 15_000, () => `initial list not seen: ${out}`);
        await k().ok(['create', 'configmap', 'watched', '-n', ns]);
        await waitFor(() => /ADDED\s+watched/.test(out), 15_000, () => `watch did not see the new configmap: ${out}`);
      } finally {
        watcher.kill();
      }
    });

    test('delete by name, -l, --all, --grace-period=0 --force', async () => {
      assert.match(await k().ok(['delete', 'cm', 'rep', '-n', ns]), /configmap "rep" deleted/);
      await k().ok(['label', 'cm', 'chunk-0', 'chunk-1', 'doomed=yes', '-n', ns]);
      await k().ok(['delete', 'cm', '-l', 'doomed=yes', '-n', ns]);
      const left = await k().ok(['get', 'cm', '-n', ns, '-o', 'name']);
      assert.doesNotMatch(left, /chunk-0|chunk-1/);
      assert.match(left, /chunk-2/);
      await k().ok(['delete', 'pod', 'p1', '--grace-period=0', '--force', '-n', ns]);
      assert.equal((await k().run(['get', 'pod', 'p1', '-n', ns])).code, 1);
      await k().ok(['delete', 'cm', '--all', '-n', ns]);
      // Only the CA bundle may be back: a real cluster republishes it at once.
      const left2 = await k().ok(['get', 'cm', '-n', ns, '-o', 'name']);
      assert.ok(left2 === '' || left2 === 'configmap/kube-root-ca.crt\n', left2);
    });
  });
}

describe('admission webhooks', { concurrency: false }, () => {
  const ns = 'e2e-webhooks';
  let hook: Server;
  let hookPort: number;
  let caBundle: string;

  // A validating webhook of the test's own, over HTTPS with its own CA: it refuses configmaps named forbidden-*
  // and lets the others through with a warning.
  before(async () => {
    const now = Date.now();
    const caKeys = newKeyPair();
    const caName = { commonName: 'e2e-webhook-ca' };
    const caPem = issueCertificate({ subject: caName, publicKey: caKeys.publicKey, notBefore: new Date(now - 60_000), notAfter: new Date(now + 3_600_000), isCA: true }, { name: caName, ...caKeys });
    const keys = newKeyPair();
    const certPem = issueCertificate({ subject: { commonName: 'e2e-webhook' }, publicKey: keys.publicKey, notBefore: new Date(now - 60_000), notAfter: new Date(now + 3_600_000),
      extendedKeyUsages: ['serverAuth'], hosts: ['127.0.0.1'] }, { name: caName, ...caKeys });
    caBundle = Buffer.from(caPem).toString('base64');
    hook = createHttpsServer({ key: privateKeyPem(keys.privateKey), cert: certPem }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        const request = (JSON.parse(body) as { request: { uid: string; name?: string } }).request;
        const response = (request.name ?? '').startsWith('forbidden-')
          ? { uid: request.uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: 'configmaps named forbidden-* are refused' } }
          : { uid: request.uid, allowed: true, warnings: ['configmap checked by the e2e webhook'] };
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookPort = (hook.address() as AddressInfo).port;
  });
  after(() => { hook?.close(); hook?.closeAllConnections(); });

  test('a ValidatingWebhookConfiguration with clientConfig.url refuses kubectl create as upstream words it', async () => {
    const k = kubectlFor(kv, 'dispatcher');
    await k.ok(['create', 'namespace', ns]);
    const config = {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'e2e-deny' },
      webhooks: [{
        name: 'deny.e2e.kubevisor.dev', admissionReviewVersions: ['v1'], sideEffects: 'None',
        clientConfig: { url: `https://127.0.0.1:${hookPort}/validate`, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
      }],
    };
    assert.match(await k.ok(['apply', '-f', '-'], JSON.stringify(config)), /validatingwebhookconfiguration.admissionregistration.k8s.io\/e2e-deny created/);
    try {
      const refused = await k.run(['create', 'configmap', 'forbidden-one', '--from-literal=a=b', '-n', ns]);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr.trim(), 'error: failed to create configmap: admission webhook "deny.e2e.kubevisor.dev" denied the request: configmaps named forbidden-* are refused');
      assert.equal((await k.run(['get', 'configmap', 'forbidden-one', '-n', ns])).code, 1);
      const applied = await k.run(['apply', '-n', ns, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'forbidden-two' }, data: { a: 'b' } }));
      assert.equal(applied.code, 1);
      assert.match(applied.stderr, /Error from server \(Forbidden\): error when creating "STDIN": admission webhook "deny\.e2e\.kubevisor\.dev" denied the request: configmaps named forbidden-\* are refused/);
      // Allowed, with the webhook's warning printed by kubectl.
      const allowed = await k.run(['create', 'configmap', 'fine', '--from-literal=a=b', '-n', ns]);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.match(allowed.stdout, /configmap\/fine created/);
      assert.match(allowed.stderr, /^Warning: configmap checked by the e2e webhook$/m);
    } finally {
      await k.ok(['delete', 'validatingwebhookconfiguration', 'e2e-deny']);
    }
    // Gone with its configuration.
    await k.ok(['create', 'configmap', 'forbidden-three', '--from-literal=a=b', '-n', ns]);
  });
});

describe('validating admission policies', { concurrency: false }, () => {
  const ns = 'e2e-policies';
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'e2e-max-replicas' },
    spec: {
      failurePolicy: 'Fail',
      // deployments/scale too: upstream shows kubectl scale to policies as an update of that subresource.
      matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments', 'deployments/scale'] }] },
      // A scale write is shown as an autoscaling/v1 Scale, as upstream shows it.
      validations: [{ expression: 'object.spec.replicas <= 5' }, { expression: "request.subResource != 'scale' || object.kind == 'Scale'", message: 'a scale write is not a Scale' }],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'e2e-max-replicas-binding' },
    spec: { policyName: 'e2e-max-replicas', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } } },
  };
  const denial = "ValidatingAdmissionPolicy 'e2e-max-replicas' with binding 'e2e-max-replicas-binding' denied request: failed expression: object.spec.replicas <= 5";

  test('a policy and its binding refuse kubectl create and kubectl scale past the limit, as upstream words it', async () => {
    const k = kubectlFor(kv, 'dispatcher');
    await k.ok(['create', 'namespace', ns]);
    const applied = await k.ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [policy, binding] }));
    assert.match(applied, /validatingadmissionpolicy.admissionregistration.k8s.io\/e2e-max-replicas created/);
    assert.match(applied, /validatingadmissionpolicybinding.admissionregistration.k8s.io\/e2e-max-replicas-binding created/);
    try {
      const refused = await k.run(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=10', '-n', ns]);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr.trim(), `error: failed to create deployment: deployments.apps "web" is forbidden: ${denial}`);
      assert.equal((await k.run(['get', 'deployment', 'web', '-n', ns])).code, 1);
      assert.match(await k.ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=2', '-n', ns]), /deployment.apps\/web created/);
      // A 422 Invalid: kubectl prints the cause under the object's name.
      const scaled = await k.run(['scale', 'deployment', 'web', '--replicas=10', '-n', ns]);
      assert.equal(scaled.code, 1);
      assert.equal(scaled.stderr.trim(), `The deployments "web" is invalid: : ${denial}`);
      assert.match(await k.ok(['scale', 'deployment', 'web', '--replicas=4', '-n', ns]), /deployment.apps\/web scaled/);
      assert.equal(await k.ok(['get', 'deployment', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), '4');
      // The status the policy status controller writes.
      let status = '';
      for (let i = 0; i < 100 && status === ''; i++) {
        status = await k.ok(['get', 'validatingadmissionpolicy', 'e2e-max-replicas', '-o', 'jsonpath={.status.observedGeneration}']);
        if (status === '') await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, '1');
    } finally {
      await k.ok(['delete', 'validatingadmissionpolicybinding', 'e2e-max-replicas-binding']);
      await k.ok(['delete', 'validatingadmissionpolicy', 'e2e-max-replicas']);
    }
    // Gone with its binding.
    await k.ok(['scale', 'deployment', 'web', '--replicas=10', '-n', ns]);
  });

  test('kubectl create token goes through policies as a create of serviceaccounts/token with its TokenRequest', async () => {
    const k = kubectlFor(kv, 'dispatcher');
    const tokenPolicy = {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'e2e-token-audiences' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['serviceaccounts/token'] }] },
        validations: [{ expression: "object.kind == 'TokenRequest' && !object.spec.audiences.exists(a, a == 'forbidden')", message: 'no tokens for the audience forbidden' }],
      },
    };
    const tokenBinding = {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'e2e-token-audiences-binding' },
      spec: { policyName: 'e2e-token-audiences', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } } },
    };
    await k.ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [tokenPolicy, tokenBinding] }));
    try {
      const refused = await k.run(['create', 'token', 'default', '--audience=forbidden', '-n', ns]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /ValidatingAdmissionPolicy 'e2e-token-audiences' with binding 'e2e-token-audiences-binding' denied request: no tokens for the audience forbidden/);
      const token = await k.ok(['create', 'token', 'default', '--audience=fine', '-n', ns]);
      assert.equal(token.trim().split('.').length, 3, token);
    } finally {
      await k.ok(['delete', 'validatingadmissionpolicybinding', 'e2e-token-audiences-binding']);
      await k.ok(['delete', 'validatingadmissionpolicy', 'e2e-token-audiences']);
    }
  });

  test("a policy using Kubernetes' CEL libraries (quantity, string extensions) refuses kubectl create configmap", async () => {
    const k = kubectlFor(kv, 'dispatcher');
    const sizePolicy = {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'e2e-cel-libraries' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
        validations: [
          { expression: "!has(object.data) || !('size' in object.data) || quantity(object.data.size).isLessThan(quantity('1Gi'))", message: 'size must be below 1Gi' },
          { expression: "object.metadata.name.lowerAscii().replace('-', '.', 1).split('.')[0] != 'blocked'", messageExpression: "'name ' + strings.quote(object.metadata.name) + ' is blocked'" },
        ],
      },
    };
    const sizeBinding = {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'e2e-cel-libraries-binding' },
      spec: { policyName: 'e2e-cel-libraries', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } } },
    };
    await k.ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [sizePolicy, sizeBinding] }));
    try {
      const prefix = "ValidatingAdmissionPolicy 'e2e-cel-libraries' with binding 'e2e-cel-libraries-binding' denied request:";
      const big = await k.run(['create', 'configmap', 'big', '--from-literal=size=2Gi', '-n', ns]);
      assert.equal(big.code, 1);
      assert.equal(big.stderr.trim(), `error: failed to create configmap: configmaps "big" is forbidden: ${prefix} size must be below 1Gi`);
      const blocked = await k.run(['create', 'configmap', 'blocked-one', '--from-literal=size=1', '-n', ns]);
      assert.equal(blocked.code, 1);
      assert.equal(blocked.stderr.trim(), `error: failed to create configmap: configmaps "blocked-one" is forbidden: ${prefix} name "blocked-one" is blocked`);
      assert.match(await k.ok(['create', 'configmap', 'small', '--from-literal=size=512Mi', '-n', ns]), /configmap\/small created/);
    } finally {
      await k.ok(['delete', 'validatingadmissionpolicybinding', 'e2e-cel-libraries-binding']);
      await k.ok(['delete', 'validatingadmissionpolicy', 'e2e-cel-libraries']);
    }
  });
});

describe('mutating admission policies', { concurrency: false }, () => {
  const ns = 'e2e-mutating';
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'e2e-defaults' },
    spec: {
      failurePolicy: 'Fail',
      reinvocationPolicy: 'IfNeeded',
      matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
      mutations: [
        {
          patchType: 'ApplyConfiguration',
          applyConfiguration: {
            expression: `Object{
              metadata: Object.metadata{labels: {"mutated-by": "e2e-defaults"}},
              spec: Object.spec{replicas: object.spec.replicas < 2 ? 2 : object.spec.replicas, template: Object.spec.template{spec: Object.spec.template.spec{
                containers: object.spec.template.spec.containers.map(c, Object.spec.template.spec.containers{name: c.name, env: [Object.spec.template.spec.containers.env{name: "INJECTED", value: "yes"}]})
              }}}
            }`,
          },
        },
        {
          patchType: 'JSONPatch',
          jsonPatch: {
            expression: `has(object.metadata.annotations)
              ? [JSONPatch{op: "add", path: "/metadata/annotations/" + jsonpatch.escapeKey("example.com/team"), value: "e2e"}]
              : [JSONPatch{op: "add", path: "/metadata/annotations", value: {"example.com/team": "e2e"}}]`,
          },
        },
      ],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicyBinding', metadata: { name: 'e2e-defaults-binding' },
    spec: { policyName: 'e2e-defaults', matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } } },
  };

  test('kubectl apply a policy and its binding: kubectl create deployment is mutated; without the binding it is not', async () => {
    const k = kubectlFor(kv, 'dispatcher');
    await k.ok(['create', 'namespace', ns]);
    const applied = await k.ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [policy, binding] }));
    assert.match(applied, /mutatingadmissionpolicy.admissionregistration.k8s.io\/e2e-defaults created/);
    assert.match(applied, /mutatingadmissionpolicybinding.admissionregistration.k8s.io\/e2e-defaults-binding created/);
    try {
      assert.match(await k.ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=1', '-n', ns]), /deployment.apps\/web created/);
      const get = (name: string, path: string) => k.ok(['get', 'deployment', name, '-n', ns, '-o', `jsonpath=${path}`]);
      assert.equal(await get('web', '{.metadata.labels.mutated-by}'), 'e2e-defaults');
      assert.equal(await get('web', '{.spec.replicas}'), '2');
      assert.equal(await get('web', '{.spec.template.spec.containers[0].env[0].name}={.spec.template.spec.containers[0].env[0].value}'), 'INJECTED=yes');
      assert.equal(await get('web', '{.metadata.annotations.example\\.com/team}'), 'e2e');
      // The floor holds on updates (kubectl scale goes through deployments/scale, which the policy does not match; an edit does).
      await k.ok(['patch', 'deployment', 'web', '-n', ns, '--type=merge', '-p', '{"spec":{"replicas":0}}']);
      assert.equal(await get('web', '{.spec.replicas}'), '2');
    } finally {
      await k.ok(['delete', 'mutatingadmissionpolicybinding', 'e2e-defaults-binding']);
    }
    try {
      // Gone with its binding.
      await k.ok(['create', 'deployment', 'plain', '--image=nginx:1.25', '--replicas=1', '-n', ns]);
      assert.equal(await k.ok(['get', 'deployment', 'plain', '-n', ns, '-o', 'jsonpath={.spec.replicas}/{.metadata.labels.mutated-by}']), '1/');
    } finally {
      await k.ok(['delete', 'mutatingadmissionpolicy', 'e2e-defaults']);
    }
  });
});

async function waitFor(cond: () => boolean, ms: number, msg: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(msg());
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first defined value `fn` gives, retried until `ms` have passed. */
async function eventually<T>(fn: () => Promise<T | undefined>, ms: number, msg: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(msg());
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('aggregated APIs', { concurrency: false }, () => {
  const ns = 'e2e-aggregation';
  let demo: DemoApiServer;

  // An extension API server of the test's own (HTTPS, its own serving CA, front-proxy client certificates only),
  // behind a Service of a simulated pod whose port-forward annotation names it.
  before(async () => { demo = await startDemoApiServer({ namespace: ns, name: 'demo' }); });
  after(async () => { await demo?.close(); });

  test('an APIService backed by a Service: available, discovered, proxied with the caller, RBAC first, 503 once down', async () => {
    const k = kubectlFor(kv, '1.33');
    await k.ok(['create', 'namespace', ns]);
    const objects = [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'demo', namespace: ns }, spec: { replicas: 1, selector: { matchLabels: { app: 'demo' } }, template: {
        metadata: { labels: { app: 'demo' }, annotations: { 'kubevisor.dev/port-forward-8443': `127.0.0.1:${demo.port}` } },
        spec: { containers: [{ name: 'api', image: 'example/demo-apiserver:1', ports: [{ containerPort: 8443 }] }] } } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'demo', namespace: ns }, spec: { selector: { app: 'demo' }, ports: [{ name: 'https', port: 443, targetPort: 8443 }] } },
      { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: `v1.${DEMO_GROUP}` }, spec: {
        group: DEMO_GROUP, version: 'v1', groupPriorityMinimum: 1000, versionPriority: 15, service: { namespace: ns, name: 'demo' },
        caBundle: Buffer.from(demo.caPem).toString('base64') } },
    ];
    const applied = await k.ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    assert.match(applied, new RegExp(`apiservice.apiregistration.k8s.io/v1.${DEMO_GROUP.replace(/\./g, '\\.')} created`));
    // What the extension server trusts comes from the cluster, as delegated authentication reads it.
    const cm = await eventually(async () => {
      const r = await k.run(['get', 'configmap', 'extension-apiserver-authentication', '-n', 'kube-system', '-o', 'json']);
      return r.code === 0 ? JSON.parse(r.stdout) as { data: Record<string, string> } : undefined;
    }, 20_000, () => 'extension-apiserver-authentication was not published');
    assert.equal(cm.data['requestheader-allowed-names'], '["front-proxy-client"]');
    demo.setRequestHeaderCA(cm.data['requestheader-client-ca-file']!);

    const row = await eventually(async () => {
      const out = await k.ok(['get', 'apiservice', `v1.${DEMO_GROUP}`]);
      const r = rowOf(out, `v1.${DEMO_GROUP}`);
      return r?.[2] === 'True' ? { out, r } : undefined;
    }, 30_000, () => 'the APIService did not become available');
    assert.deepEqual(header(row.out), ['NAME', 'SERVICE', 'AVAILABLE', 'AGE']);
    assert.deepEqual(row.r.slice(0, 3), [`v1.${DEMO_GROUP}`, `${ns}/demo`, 'True']);
    assert.deepEqual(rowOf(await k.ok(['get', 'apiservice', 'v1.apps']), 'v1.apps')?.slice(0, 3), ['v1.apps', 'Local', 'True']);

    const resources = await k.ok(['api-resources', `--api-group=${DEMO_GROUP}`]);
    assert.match(resources, new RegExp(`^widgets\\s+wd\\s+${DEMO_GROUP.replace(/\./g, '\\.')}/v1\\s+true\\s+Widget$`, 'm'));

    const table = await k.ok(['get', 'widgets', '-n', ns]);
    assert.deepEqual(header(table), ['NAME', 'AGE']);
    assert.ok(rowOf(table, 'w1') && rowOf(table, 'w2'), table);
    const list = JSON.parse(await k.ok(['get', 'widgets', '-n', ns, '-o', 'json'])) as { items: Array<{ spec: { seenUser: string; seenGroups: string[] } }> };
    assert.equal(list.items[0]!.spec.seenUser, 'kubevisor-admin');
    assert.deepEqual(list.items[0]!.spec.seenGroups, ['system:masters', 'system:authenticated']);
    assert.ok(demo.seen.every((s) => s.authorization === undefined), 'the client\'s credentials never reach the backend');
    assert.equal(await k.ok(['get', 'widget', 'w2', '-n', ns, '-o', 'jsonpath={.metadata.name}']), 'w2');
    // kubectl explain reads the backend's OpenAPI v3 document, listed in /openapi/v3.
    const explained = await k.ok(['explain', `widgets.${DEMO_GROUP}.spec`]);
    assert.match(explained, /^KIND:\s+Widget$/m);
    assert.match(explained, /Who asked for the widget, as the front proxy named them\./);
    assert.match(explained, /^\s+seenUser\s+<string>$/m);

    // A user without RBAC on widgets: refused by kubevisor, the backend never asked.
    const asked = demo.seen.length;
    const denied = await k.run(['get', 'widgets', '-n', ns, '--as=jane']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, new RegExp(`Error from server \\(Forbidden\\): widgets\\.${DEMO_GROUP.replace(/\./g, '\\.')} is forbidden: User "jane" cannot list resource "widgets" in API group "${DEMO_GROUP.replace(/\./g, '\\.')}" in the namespace "${ns}"`));
    assert.equal(demo.seen.length, asked);

    // The backend stops: the availability check fails, and requests get the aggregator's 503.
    await demo.close();
    const down = await eventually(async () => {
      const r = rowOf(await k.ok(['get', 'apiservice', `v1.${DEMO_GROUP}`]), `v1.${DEMO_GROUP}`);
      if (r?.[2] === 'False (FailedDiscoveryCheck)') return r;
      await k.run(['get', 'widgets', '-n', ns]);
      return undefined;
    }, 45_000, () => 'the APIService did not become unavailable');
    assert.equal(down[1], `${ns}/demo`);
    const unavailable = await k.run(['get', 'widgets', '-n', ns]);
    assert.equal(unavailable.code, 1);
    assert.match(unavailable.stderr, /Error from server \(ServiceUnavailable\): the server is currently unable to handle the request/);
  });
});
