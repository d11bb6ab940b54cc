// kubectl apply (client-side and server-side), diff, edit, rollout restart,
// set image and strategic merge patches, with each supported kubectl version
// in a namespace of its own, against a real `kubevisor up`.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { kubectlFor } from '../support/kubectl.ts';
import { managedFields, managers, runWithEnv, writeFile } from '../support/e2e-util.ts';

let kv: Kubevisor;

before(async () => { kv = await startKubevisor(); });
after(async () => { await kv?.stop(); });

interface DeployOpts { name?: string; replicas: number; image: string; tier?: boolean; env?: boolean }

function deployment(o: DeployOpts): string {
  const name = o.name ?? 'web';
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    '  labels:',
    `    app: ${name}`,
    ...(o.tier ? ['    tier: front'] : []),
    'spec:',
    `  replicas: ${o.replicas}`,
    '  selector:',
    `    matchLabels: {app: ${name}}`,
    '  template:',
    '    metadata:',
    `      labels: {app: ${name}}`,
    '    spec:',
    '      containers:',
    '      - name: web',
    `        image: ${o.image}`,
    ...(o.env ? ['        env:', '        - name: MODE', '          value: blue'] : []),
    '        ports:',
    '        - containerPort: 80',
    '',
  ].join('\n');
}

function configMap(name: string, data: Record<string, string>, labels: Record<string, string> = {}): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${name}`];
  if (Object.keys(labels).length) lines.push('  labels:', ...Object.entries(labels).map(([k, v]) => `    ${k}: "${v}"`));
  if (Object.keys(data).length) lines.push('data:', ...Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`));
  return lines.join('\n') + '\n';
}

for (const version of ['1.27', '1.30', '1.33', 'dispatcher']) {
  describe(`kubectl ${version}`, { concurrency: false }, () => {
    const ns = `apply-${version.replace('.', '-')}`;
    const k = () => kubectlFor(kv, version);
    const dir = () => join(kv.home, ns);
    const file = (name: string, body: string) => writeFile(join(dir(), name), body);
    const jp = (args: string[], path: string) => k().ok(['get', ...args, '-n', ns, '-o', `jsonpath=${path}`]);
    const getJson = async (args: string[]) => JSON.parse(await k().ok(['get', ...args, '-n', ns, '-o', 'json']));

    before(async () => { await k().ok(['create', 'namespace', ns]); });

    test('apply -f: created, unchanged on an identical second apply, configured on a change', async () => {
      const f = file('web.yaml', deployment({ replicas: 1, image: 'nginx:1.25', tier: true, env: true }));
      const first = await k().run(['apply', '-f', f, '-n', ns]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout, 'deployment.apps/web created\n');
      const second = await k().run(['apply', '-f', f, '-n', ns]);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.stdout, 'deployment.apps/web unchanged\n');

      file('web.yaml', deployment({ replicas: 2, image: 'nginx:1.26', tier: true, env: true }));
      const third = await k().run(['apply', '-f', f, '-n', ns]);
      assert.equal(third.code, 0, third.stderr);
      assert.equal(third.stdout, 'deployment.apps/web configured\n');
      const live = await getJson(['deploy', 'web']);
      assert.equal(live.spec.replicas, 2);
      assert.equal(live.spec.template.spec.containers[0].image, 'nginx:1.26');
      assert.deepEqual(live.spec.template.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
      assert.equal(live.metadata.generation, 2);
      const lastApplied = JSON.parse(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
      assert.equal(lastApplied.spec.replicas, 2);
      assert.equal(lastApplied.metadata.namespace, ns);
      // (A real cluster's deployment controller adds its own entries; only kubectl's are checked.)
      const mine = managers(await managedFields(k(), ['deploy', 'web', '-n', ns])).filter((m) => m.startsWith('kubectl'));
      assert.deepEqual(mine, ['kubectl-client-side-apply/Update']);
    });

    test('apply -f removes fields dropped from the manifest (via last-applied)', async () => {
      const f = file('web.yaml', deployment({ replicas: 2, image: 'nginx:1.26' }));
      const r = await k().run(['apply', '-f', f, '-n', ns]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'deployment.apps/web configured\n');
      const live = await getJson(['deploy', 'web']);
      assert.deepEqual(live.metadata.labels, { app: 'web' });
      assert.equal(live.spec.template.spec.containers[0].env, undefined);
      assert.equal(live.spec.template.spec.containers[0].image, 'nginx:1.26');

      const cm = file('cm-remove.yaml', configMap('settings', { a: '1', b: '2' }));
      assert.equal(await k().ok(['apply', '-f', cm, '-n', ns]), 'configmap/settings created\n');
      // A field another writer added is kept: apply only removes what it applied itself.
      await k().ok(['patch', 'cm', 'settings', '-n', ns, '--type=merge', '-p', '{"data":{"c":"3"}}']);
      file('cm-remove.yaml', configMap('settings', { a: '1' }));
      assert.equal(await k().ok(['apply', '-f', cm, '-n', ns]), 'configmap/settings configured\n');
      assert.deepEqual((await getJson(['cm', 'settings'])).data, { a: '1', c: '3' });
    });

    test('apply -f of a Service with a numeric targetPort (an int-or-string field)', async () => {
      const f = file('svc.yaml', ['apiVersion: v1', 'kind: Service', 'metadata:', '  name: web', 'spec:', '  selector: {app: web}', '  ports:',
        '  - name: plain', '    port: 80', '    targetPort: 8080', '  - name: named', '    port: 81', '    targetPort: http', ''].join('\n'));
      const r = await k().run(['apply', '-f', f, '-n', ns]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'service/web created\n');
      const ports = (await getJson(['svc', 'web'])).spec.ports;
      assert.deepEqual(ports.map((p: any) => [p.port, p.targetPort, p.protocol]), [[80, 8080, 'TCP'], [81, 'http', 'TCP']]);
      assert.equal(await k().ok(['apply', '-f', f, '-n', ns]), 'service/web unchanged\n');
    });

    test('apply -f <directory>, then --prune -l deletes the object dropped from it', async () => {
      const d = join(dir(), 'set');
      const labels = { set: ns };
      writeFile(join(d, 'a.yaml'), configMap('p1', { k: 'v' }, labels));
      writeFile(join(d, 'b.yaml'), configMap('p2', { k: 'v' }, labels));
      writeFile(join(d, 'c.yaml'), ['apiVersion: v1', 'kind: Secret', 'metadata:', '  name: p3', '  labels:', `    set: ${ns}`, 'stringData:', '  k: v', ''].join('\n'));
      const r = await k().run(['apply', '-f', d, '-n', ns]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'configmap/p1 created\nconfigmap/p2 created\nsecret/p3 created\n');
      assert.equal(await jp(['secret', 'p3'], '{.data.k}'), Buffer.from('v').toString('base64'));

      rmSync(join(d, 'c.yaml'));
      const pruned = await k().run(['apply', '-f', d, '-n', ns, '--prune', '-l', `set=${ns}`]);
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.equal(pruned.stdout, 'configmap/p1 unchanged\nconfigmap/p2 unchanged\nsecret/p3 pruned\n');
      const gone = await k().run(['get', 'secret', 'p3', '-n', ns]);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /Error from server \(NotFound\): secrets "p3" not found/);
      assert.equal(await k().ok(['get', 'cm', '-l', `set=${ns}`, '-n', ns, '-o', 'name']), 'configmap/p1\nconfigmap/p2\n');
    });

    test('apply --server-side creates, updates and removes fields it owns', async () => {
      const f = file('ssa.yaml', configMap('ssa', { a: '1', b: '2' }));
      const created = await k().run(['apply', '--server-side', '-f', f, '-n', ns]);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(created.stdout, 'configmap/ssa serverside-applied\n');
      const live = await getJson(['cm', 'ssa']);
      assert.deepEqual(live.data, { a: '1', b: '2' });
      assert.equal(live.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], undefined);
      const mf = await managedFields(k(), ['cm', 'ssa', '-n', ns]);

      file('ssa.yaml', configMap('ssa', { a: '10' }));
      const updated = await k().run(['apply', '--server-side', '-f', f, '-n', ns]);
      assert.equal(updated.code, 0, updated.stderr);
      assert.equal(updated.stdout, 'configmap/ssa serverside-applied\n');
      assert.deepEqual((await getJson(['cm', 'ssa'])).data, { a: '10' });

      const forced = await k().run(['apply', '--server-side', '--force-conflicts', '-f', f, '-n', ns]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(forced.stdout, 'configmap/ssa serverside-applied\n');
      assert.deepEqual((await getJson(['cm', 'ssa'])).data, { a: '10' });

      assert.deepEqual(mf.map((e) => ({ manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, fieldsType: e.fieldsType, fieldsV1: e.fieldsV1 })), [
        { manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } } },
      ], 'managedFields after the first server-side apply');
      assert.match(mf[0]?.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    test('apply --server-side: a field owned by another manager conflicts; --force-conflicts takes it over', async () => {
      const manifest = (image: string) => deployment({ name: 'shared', replicas: 1, image });
      const f = file('shared.yaml', manifest('nginx:1.25'));
      const other = await k().run(['apply', '--server-side', '--field-manager=other', '-f', f, '-n', ns]);
      assert.equal(other.code, 0, other.stderr);
      assert.equal(other.stdout, 'deployment.apps/shared serverside-applied\n');

      file('shared.yaml', manifest('nginx:1.26'));
      const conflict = await k().run(['apply', '--server-side', '-f', f, '-n', ns]);
      assert.equal(conflict.code, 1, conflict.stdout);
      assert.equal(conflict.stdout, '');
      assert.match(conflict.stderr, /^error: Apply failed with 1 conflict: conflict with "other": \.spec\.template\.spec\.containers\[name="web"\]\.image\n/);
      assert.match(conflict.stderr, /--force-conflicts/);
      assert.equal(await jp(['deploy', 'shared'], '{.spec.template.spec.containers[0].image}'), 'nginx:1.25');

      const forced = await k().run(['apply', '--server-side', '--force-conflicts', '-f', f, '-n', ns]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(forced.stdout, 'deployment.apps/shared serverside-applied\n');
      assert.equal(await jp(['deploy', 'shared'], '{.spec.template.spec.containers[0].image}'), 'nginx:1.26');
      const mf = await managedFields(k(), ['deploy', 'shared', '-n', ns]);
      const owns = (m: string) => {
        const e = mf.find((x) => x.manager === m && x.operation === 'Apply') as any;
        return e?.fieldsV1?.['f:spec']?.['f:template']?.['f:spec']?.['f:containers']?.['k:{"name":"web"}']?.['f:image'] !== undefined;
      };
      assert.equal(owns('kubectl'), true, JSON.stringify(mf));
      assert.equal(owns('other'), false, JSON.stringify(mf));
    });

    test('client-side apply, then apply --server-side migrates ownership to the kubectl manager', async () => {
      const f = file('mig.yaml', configMap('mig', { a: '1', b: '2' }, { keep: 'yes', drop: 'yes' }));
      assert.equal(await k().ok(['apply', '-f', f, '-n', ns]), 'configmap/mig created\n');
      const before = managers(await managedFields(k(), ['cm', 'mig', '-n', ns]));

      const ssa = await k().run(['apply', '--server-side', '-f', f, '-n', ns]);
      assert.equal(ssa.code, 0, ssa.stderr);
      assert.equal(ssa.stdout, 'configmap/mig serverside-applied\n');
      const after = managers(await managedFields(k(), ['cm', 'mig', '-n', ns]));

      // kubectl now owns what client-side apply set, so dropping fields removes them.
      file('mig.yaml', configMap('mig', { a: '1' }, { keep: 'yes' }));
      const dropped = await k().run(['apply', '--server-side', '-f', f, '-n', ns]);
      assert.equal(dropped.code, 0, dropped.stderr);
      const live = await getJson(['cm', 'mig']);
      assert.deepEqual(live.data, { a: '1' });
      assert.deepEqual(live.metadata.labels, { keep: 'yes' });

      assert.deepEqual(before, ['kubectl-client-side-apply/Update'], 'managers after client-side apply');
      assert.ok(after.includes('kubectl/Apply'), `managers after the server-side apply: ${after.join(', ')}`);
      assert.ok(!after.some((m) => m.startsWith('kubectl-client-side-apply/')), `managers after the server-side apply: ${after.join(', ')}`);
    });

    test('diff -f: exit 0 when equal, 1 with the changed lines when different; nothing is changed', async () => {
      const f = file('diff.yaml', configMap('diffed', { key: 'one' }));
      await k().ok(['apply', '-f', f, '-n', ns]);
      const same = await k().run(['diff', '-f', f, '-n', ns]);
      assert.equal(same.code, 0, same.stderr);
      assert.equal(same.stdout, '');

      file('diff.yaml', configMap('diffed', { key: 'two' }));
      const changed = await k().run(['diff', '-f', f, '-n', ns]);
      assert.equal(changed.code, 1, changed.stderr);
      assert.match(changed.stdout, new RegExp(`^diff -u -N \\S+/v1\\.ConfigMap\\.${ns}\\.diffed \\S+/v1\\.ConfigMap\\.${ns}\\.diffed$`, 'm'));
      assert.match(changed.stdout, /^- {2}key: one$/m);
      assert.match(changed.stdout, /^\+ {2}key: two$/m);
      assert.equal(await jp(['cm', 'diffed'], '{.data.key}'), 'one');

      const fresh = file('diff-new.yaml', configMap('not-yet', { x: 'y' }));
      const created = await k().run(['diff', '-f', fresh, '-n', ns]);
      assert.equal(created.code, 1, created.stderr);
      assert.match(created.stdout, /^\+ {2}name: not-yet$/m);
      assert.equal((await k().run(['get', 'cm', 'not-yet', '-n', ns])).code, 1);
    });

    test('edit with KUBE_EDITOR stores the change', async () => {
      const editor = writeFile(join(dir(), 'editor.sh'), '#!/bin/sh\nsed -i -e "s/image: nginx:1.26/image: nginx:1.27/" "$1"\n');
      chmodSync(editor, 0o755);
      const r = await runWithEnv(kv, k().bin, ['edit', 'deployment/web', '-n', ns], { KUBE_EDITOR: editor });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'deployment.apps/web edited\n');
      assert.equal(await jp(['deploy', 'web'], '{.spec.template.spec.containers[0].image}'), 'nginx:1.27');
      const mf = managers(await managedFields(k(), ['deploy', 'web', '-n', ns]));

      const noop = writeFile(join(dir(), 'noop.sh'), '#!/bin/sh\nexit 0\n');
      chmodSync(noop, 0o755);
      const cancelled = await runWithEnv(kv, k().bin, ['edit', 'deployment/web', '-n', ns], { KUBE_EDITOR: noop });
      assert.equal(cancelled.code, 0, cancelled.stderr);
      assert.match(cancelled.stderr, /Edit cancelled, no changes made\./);
      assert.ok(mf.includes('kubectl-edit/Update'), `managers after edit: ${mf.join(', ')}`);
    });

    test('rollout restart sets the restartedAt template annotation', async () => {
      const gen = Number(await jp(['deploy', 'web'], '{.metadata.generation}'));
      const r = await k().run(['rollout', 'restart', 'deployment/web', '-n', ns]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'deployment.apps/web restarted\n');
      const live = await getJson(['deploy', 'web']);
      assert.match(live.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
      assert.equal(live.metadata.generation, gen + 1);
      assert.equal(live.spec.template.spec.containers[0].image, 'nginx:1.27');
    });

    test('set image', async () => {
      const r = await k().run(['set', 'image', 'deployment/web', 'web=nginx:1.28', '-n', ns]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'deployment.apps/web image updated\n');
      assert.equal(await jp(['deploy', 'web'], '{.spec.template.spec.containers[*].image}'), 'nginx:1.28');
    });

    test('patch (strategic): containers by name, env by name, ports by containerPort, volumes by name, $patch: delete', async () => {
      await k().ok(['create', '-f', file('lists.yaml', [
        'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: lists', 'spec:', '  selector:', '    matchLabels: {app: lists}',
        '  template:', '    metadata:', '      labels: {app: lists}', '    spec:',
        '      containers:',
        '      - name: web', '        image: nginx:1.25',
        '        env:', '        - {name: A, value: a}', '        - {name: B, value: b}',
        '        ports:', '        - {containerPort: 80, name: http}', '        - {containerPort: 443, name: https}',
        '      - name: sidecar', '        image: busybox:1.36',
        '      volumes:', '      - {name: v1, emptyDir: {}}', '      - {name: v2, emptyDir: {}}', '',
      ].join('\n')), '-n', ns]);
      const patch = {
        spec: { template: { spec: {
          containers: [
            { name: 'web', image: 'nginx:1.26', env: [{ name: 'B', value: 'b2' }, { name: 'C', value: 'c' }], ports: [{ containerPort: 8080, name: 'alt' }] },
            { name: 'extra', image: 'busybox:1.37' },
          ],
          volumes: [{ name: 'v2', $patch: 'delete' }, { name: 'v3', emptyDir: {} }],
        } } },
      };
      const r = await k().run(['patch', 'deployment', 'lists', '-n', ns, '-p', JSON.stringify(patch)]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'deployment.apps/lists patched\n');
      const spec = (await getJson(['deploy', 'lists'])).spec.template.spec;
      // Upstream order: items named in the patch keep the patch's order and come
      // before server-only items unless the live order places those first.
      assert.deepEqual(spec.containers.map((c: any) => [c.name, c.image]), [['web', 'nginx:1.26'], ['extra', 'busybox:1.37'], ['sidecar', 'busybox:1.36']]);
      const web = spec.containers[0];
      assert.deepEqual(web.env, [{ name: 'A', value: 'a' }, { name: 'B', value: 'b2' }, { name: 'C', value: 'c' }]);
      assert.deepEqual(web.ports, [
        { containerPort: 8080, name: 'alt', protocol: 'TCP' },
        { containerPort: 80, name: 'http', protocol: 'TCP' },
        { containerPort: 443, name: 'https', protocol: 'TCP' },
      ]);
      assert.deepEqual(spec.volumes, [{ name: 'v3', emptyDir: {} }, { name: 'v1', emptyDir: {} }]);
      assert.equal(spec.containers[1].imagePullPolicy, 'IfNotPresent', 'the new container is defaulted');

      const del = { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'A', $patch: 'delete' }], ports: [{ containerPort: 443, $patch: 'delete' }] }, { name: 'sidecar', $patch: 'delete' }] } } } };
      assert.equal(await k().ok(['patch', 'deployment', 'lists', '-n', ns, '-p', JSON.stringify(del)]), 'deployment.apps/lists patched\n');
      const after = (await getJson(['deploy', 'lists'])).spec.template.spec;
      assert.deepEqual(after.containers.map((c: any) => c.name), ['web', 'extra']);
      assert.deepEqual(after.containers[0].env, [{ name: 'B', value: 'b2' }, { name: 'C', value: 'c' }]);
      assert.deepEqual(after.containers[0].ports.map((p: any) => p.containerPort), [8080, 80]);

      // Once the rollout is over the controllers leave the object alone: kubectl reads it
      // before patching, and a status write in between would make the patch look like a change.
      await k().ok(['rollout', 'status', 'deployment/lists', '-n', ns, '--timeout=60s']);
      const same = await k().run(['patch', 'deployment', 'lists', '-n', ns, '-p', JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } })]);
      assert.equal(same.code, 0, same.stderr);
      assert.equal(same.stdout, 'deployment.apps/lists patched (no change)\n');
    });
  });
}
