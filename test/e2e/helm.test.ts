// helm 4 against kubevisor: protobuf release secrets, server-side apply,
// watch-list; install, list, status, upgrade, uninstall.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { kubectlFor } from '../support/kubectl.ts';
import { helmBinary } from '../support/helm.ts';

let kv: Kubevisor;
let helm: string;
let chart: string;

before(async () => {
  helm = helmBinary();
  kv = await startKubevisor();
  chart = join(kv.home, 'chart');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
  writeFileSync(join(chart, 'values.yaml'), 'greeting: hello\n');
  writeFileSync(join(chart, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cfg\ndata:\n  greeting: {{ .Values.greeting }}\n');
  writeFileSync(join(chart, 'templates', 'deploy.yaml'), [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: {{ .Release.Name }}-web', 'spec:', '  replicas: 1',
    '  selector:', '    matchLabels: {app: web}', '  template:', '    metadata:', '      labels: {app: web}', '    spec:',
    '      containers:', '      - name: web', '        image: nginx:1.25', '',
  ].join('\n'));
});
after(async () => { await kv?.stop(); });

function runHelm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(helm, args, { env: { PATH: process.env.PATH ?? '', HOME: kv.home, KUBECONFIG: kv.kubeconfig }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? 1 : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

test('helm install, list, status, upgrade and uninstall', async () => {
  const k = kubectlFor(kv, '1.33');
  const install = await runHelm(['install', 'rel1', chart]);
  assert.equal(install.code, 0, install.stderr);
  assert.match(install.stdout, /STATUS: deployed/);
  assert.equal(await k.ok(['get', 'cm', 'rel1-cfg', '-o', 'jsonpath={.data.greeting}']), 'hello');
  assert.equal(await k.ok(['get', 'deploy', 'rel1-web', '-o', 'jsonpath={.metadata.labels.app\\.kubernetes\\.io/managed-by}']), 'Helm');
  const secrets = await k.ok(['get', 'secrets', '-l', 'owner=helm', '-o', 'name']);
  assert.equal(secrets, 'secret/sh.helm.release.v1.rel1.v1\n');

  const list = await runHelm(['list']);
  assert.match(list.stdout, /^rel1\s+default\s+1\s+.*deployed/m);
  const status = await runHelm(['status', 'rel1']);
  assert.equal(status.code, 0, status.stderr);

  const up = await runHelm(['upgrade', 'rel1', chart, '--set', 'greeting=bye']);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(await k.ok(['get', 'cm', 'rel1-cfg', '-o', 'jsonpath={.data.greeting}']), 'bye');
  assert.match((await runHelm(['list'])).stdout, /^rel1\s+default\s+2\s+/m);

  const un = await runHelm(['uninstall', 'rel1']);
  assert.equal(un.code, 0, un.stderr);
  assert.equal((await k.run(['get', 'cm', 'rel1-cfg'])).code, 1);
  assert.equal(await k.ok(['get', 'secrets', '-l', 'owner=helm', '-o', 'name']), '');
});
