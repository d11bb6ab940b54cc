// helm 4 with a chart that ships a CRD in crds/ and a custom resource of it,
// next to a ConfigMap, Secret, ServiceAccount, Role, RoleBinding, Deployment
// and Service: install, list, status, get manifest, upgrade, rollback, history
// and uninstall (no --wait), each checked with kubectl. (The Service uses a
// named targetPort; numeric int-or-string values are covered by apply.test.ts.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { kubectlFor } from '../support/kubectl.ts';
import { helmBinary } from '../support/helm.ts';
import { runWithEnv, writeFile } from '../support/e2e-util.ts';
import { crdYaml } from '../support/widget-crd.ts';

let kv: Kubevisor;
let helm: string;
let chart: string;

const templates: Record<string, string> = {
  'widget.yaml': `apiVersion: example.com/v1
kind: Widget
metadata:
  name: {{ .Release.Name }}-widget
spec:
  size: 2
  color: {{ .Values.color }}
`,
  'cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cfg
data:
  greeting: {{ .Values.greeting }}
`,
  'secret.yaml': `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-secret
type: Opaque
stringData:
  password: {{ .Values.password }}
`,
  'sa.yaml': `apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}-sa
`,
  'role.yaml': `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ .Release.Name }}-reader
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list]
- apiGroups: [example.com]
  resources: [widgets]
  verbs: [get]
`,
  'rolebinding.yaml': `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ .Release.Name }}-reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ .Release.Name }}-reader
subjects:
- kind: ServiceAccount
  name: {{ .Release.Name }}-sa
  namespace: {{ .Release.Namespace }}
`,
  'deploy.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: 1
  selector:
    matchLabels: {app: {{ .Release.Name }}-web}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}-web}
    spec:
      serviceAccountName: {{ .Release.Name }}-sa
      containers:
      - name: web
        image: {{ .Values.image }}
        ports:
        - name: http
          containerPort: 80
`,
  'svc.yaml': `{{- if .Values.withService }}
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-svc
spec:
  selector: {app: {{ .Release.Name }}-web}
  ports:
  - port: 80
    targetPort: http
{{- end }}
`,
};

before(async () => {
  helm = helmBinary();
  kv = await startKubevisor();
  chart = join(kv.home, 'widgets-chart');
  writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: widgets\nversion: 0.1.0\nappVersion: "1.0.0"\n');
  writeFile(join(chart, 'values.yaml'), 'color: blue\ngreeting: hello\npassword: s3cret\nimage: nginx:1.25\nwithService: true\n');
  writeFile(join(chart, 'crds', 'widgets.yaml'), crdYaml);
  for (const [name, body] of Object.entries(templates)) writeFile(join(chart, 'templates', name), body);
});
after(async () => { await kv?.stop(); });

const runHelm = (args: string[]) => runWithEnv(kv, helm, args, {}, 120_000);
const k = () => kubectlFor(kv, '1.33');

/** Every object of the release, as kubectl names them. */
const objects = [
  'widget.example.com/rel-widget', 'configmap/rel-cfg', 'secret/rel-secret', 'serviceaccount/rel-sa',
  'role.rbac.authorization.k8s.io/rel-reader', 'rolebinding.rbac.authorization.k8s.io/rel-reader',
  'deployment.apps/rel-web', 'service/rel-svc',
];

async function expectRelease(values: { color: string; greeting: string; image: string; service: boolean }): Promise<void> {
  const widget = JSON.parse(await k().ok(['get', 'widget', 'rel-widget', '-o', 'json']));
  assert.deepEqual(widget.spec, { size: 2, color: values.color, replicas: 1, tier: 'standard' });
  assert.equal(await k().ok(['get', 'cm', 'rel-cfg', '-o', 'jsonpath={.data.greeting}']), values.greeting);
  assert.equal(await k().ok(['get', 'secret', 'rel-secret', '-o', 'jsonpath={.data.password}']), Buffer.from('s3cret').toString('base64'));
  assert.equal(await k().ok(['get', 'deploy', 'rel-web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.serviceAccountName}']), `${values.image} rel-sa`);
  const role = JSON.parse(await k().ok(['get', 'role', 'rel-reader', '-o', 'json']));
  assert.deepEqual(role.rules, [
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] },
    { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] },
  ]);
  const rb = JSON.parse(await k().ok(['get', 'rolebinding', 'rel-reader', '-o', 'json']));
  assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rel-reader' });
  assert.deepEqual(rb.subjects.map((x: any) => [x.kind, x.name, x.namespace]), [['ServiceAccount', 'rel-sa', 'default']]);
  assert.equal(await k().ok(['get', 'sa', 'rel-sa', '-o', 'name']), 'serviceaccount/rel-sa\n');
  const svc = await k().run(['get', 'svc', 'rel-svc', '-o', 'jsonpath={.spec.ports[0].port}']);
  if (values.service) assert.equal(svc.stdout, '80', svc.stderr);
  else {
    assert.equal(svc.code, 1, 'the service was removed');
    assert.match(svc.stderr, /Error from server \(NotFound\): services "rel-svc" not found/);
  }
  for (const o of objects) {
    if (o === 'service/rel-svc' && !values.service) continue;
    const meta = JSON.parse(await k().ok(['get', o, '-o', 'json'])).metadata;
    assert.equal(meta.labels?.['app.kubernetes.io/managed-by'], 'Helm', o);
    assert.equal(meta.annotations?.['meta.helm.sh/release-name'], 'rel', o);
    assert.equal(meta.annotations?.['meta.helm.sh/release-namespace'], 'default', o);
  }
}

test('install: the CRD from crds/ first, then every template including the custom resource', async () => {
  const r = await runHelm(['install', 'rel', chart]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^NAME: rel$/m);
  assert.match(r.stdout, /^NAMESPACE: default$/m);
  assert.match(r.stdout, /^STATUS: deployed$/m);
  assert.match(r.stdout, /^REVISION: 1$/m);
  const crd = JSON.parse(await k().ok(['get', 'crd', 'widgets.example.com', '-o', 'json']));
  assert.equal(crd.spec.names.kind, 'Widget');
  assert.equal(crd.status.conditions.find((c: any) => c.type === 'Established')?.status, 'True');
  await expectRelease({ color: 'blue', greeting: 'hello', image: 'nginx:1.25', service: true });
  assert.equal(await k().ok(['get', 'secrets', '-l', 'owner=helm', '-o', 'name']), 'secret/sh.helm.release.v1.rel.v1\n');
});

test('the RoleBinding subject reads back as written (a ServiceAccount subject has no apiGroup)', async () => {
  const rb = JSON.parse(await k().ok(['get', 'rolebinding', 'rel-reader', '-o', 'json']));
  assert.deepEqual(rb.subjects, [{ kind: 'ServiceAccount', name: 'rel-sa', namespace: 'default' }]);
});

test('list, status and get manifest', async () => {
  const list = await runHelm(['list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^NAME\s+NAMESPACE\s+REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s*$/m);
  assert.match(list.stdout, /^rel\s+default\s+1\s+.+\s+deployed\s+widgets-0\.1\.0\s+1\.0\.0\s*$/m);

  const status = await runHelm(['status', 'rel']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^NAME: rel$/m);
  assert.match(status.stdout, /^STATUS: deployed$/m);
  assert.match(status.stdout, /^REVISION: 1$/m);

  const manifest = await runHelm(['get', 'manifest', 'rel']);
  assert.equal(manifest.code, 0, manifest.stderr);
  const sources = [...manifest.stdout.matchAll(/^# Source: (.+)$/gm)].map((m) => m[1]).sort();
  assert.deepEqual(sources, Object.keys(templates).map((t) => `widgets/templates/${t}`).sort());
  assert.match(manifest.stdout, /^kind: Widget$/m);
  assert.doesNotMatch(manifest.stdout, /CustomResourceDefinition/, 'CRDs from crds/ are not part of the release manifest');
});

test('upgrade changes the custom resource and the others, and deletes a dropped object', async () => {
  const r = await runHelm(['upgrade', 'rel', chart, '--set', 'color=green,greeting=bye,image=nginx:1.26,withService=false']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^STATUS: deployed$/m);
  assert.match(r.stdout, /^REVISION: 2$/m);
  await expectRelease({ color: 'green', greeting: 'bye', image: 'nginx:1.26', service: false });
  assert.match((await runHelm(['list'])).stdout, /^rel\s+default\s+2\s+.+\s+deployed\s+widgets-0\.1\.0\s+1\.0\.0\s*$/m);
  assert.equal(await k().ok(['get', 'secrets', '-l', 'owner=helm', '-o', 'name']), 'secret/sh.helm.release.v1.rel.v1\nsecret/sh.helm.release.v1.rel.v2\n');
});

test('rollback restores revision 1 as revision 3; history shows all three', async () => {
  const r = await runHelm(['rollback', 'rel', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Rollback was a success! Happy Helming!/);
  await expectRelease({ color: 'blue', greeting: 'hello', image: 'nginx:1.25', service: true });
  const history = await runHelm(['history', 'rel']);
  assert.equal(history.code, 0, history.stderr);
  assert.match(history.stdout, /^REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s+DESCRIPTION\s*$/m);
  const rows = history.stdout.trim().split('\n').slice(1).map((l) => {
    const m = /^(\d+)\s+.+?\s+(superseded|deployed|failed|pending-\S+)\s+(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(l);
    return m ? [m[1], m[2], m[3], m[4], m[5]] : [l];
  });
  assert.deepEqual(rows, [
    ['1', 'superseded', 'widgets-0.1.0', '1.0.0', 'Install complete'],
    ['2', 'superseded', 'widgets-0.1.0', '1.0.0', 'Upgrade complete'],
    ['3', 'deployed', 'widgets-0.1.0', '1.0.0', 'Rollback to 1'],
  ]);
});

test('uninstall deletes the release objects and keeps the CRD', async () => {
  const r = await runHelm(['uninstall', 'rel']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^release "rel" uninstalled$/m);
  for (const o of objects) {
    const g = await k().run(['get', o]);
    assert.equal(g.code, 1, `${o} is still there: ${g.stdout}`);
    assert.match(g.stderr, /Error from server \(NotFound\)/, o);
  }
  assert.equal(await k().ok(['get', 'secrets', '-l', 'owner=helm', '-o', 'name']), '');
  assert.equal(await k().ok(['get', 'crd', 'widgets.example.com', '-o', 'name']), 'customresourcedefinition.apiextensions.k8s.io/widgets.example.com\n');
  const list = await runHelm(['list']);
  assert.doesNotMatch(list.stdout, /^rel\s/m);
});
