// CustomResourceDefinitions with the real kubectl: a CRD with two versions,
// status and scale subresources, printer columns, short names, categories and
// a validating schema; its custom resources; and its deletion. Each kubectl
// version runs the whole life cycle (CRD created … CRD deleted) in turn, in a
// namespace of its own and with a discovery cache of its own.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { runKubectl, kubectlBinary } from '../support/kubectl.ts';
import { cellsOf, header, rowOf, writeFile } from '../support/e2e-util.ts';
import { CRD, crdYaml } from '../support/widget-crd.ts';

let kv: Kubevisor;

before(async () => { kv = await startKubevisor(); });
after(async () => { await kv?.stop(); });

function widget(name: string, spec: Record<string, unknown>, apiVersion = 'example.com/v1'): string {
  return JSON.stringify({ apiVersion, kind: 'Widget', metadata: { name }, spec }, null, 2) + '\n';
}

for (const v of ['1.33', '1.30', '1.27', 'dispatcher']) {
  describe(`kubectl ${v}`, { concurrency: false }, () => {
    const ns = `crd-${v.replace('.', '-')}`;
    let cacheDir = '';
    const file = (name: string, body: string) => writeFile(join(kv.home, ns, name), body);
    const run = (args: string[], cache = cacheDir) => runKubectl(kv, kubectlBinary(v), [`--cache-dir=${cache}`, ...args]);
    const ok = async (args: string[]) => {
      const r = await run(args);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r.stdout;
    };
    const getJson = async (args: string[]) => JSON.parse(await ok(['get', ...args, '-n', ns, '-o', 'json']));
    const notFound = async (name: string) => {
      const r = await run(['get', 'widget', name, '-n', ns]);
      assert.equal(r.code, 1, `${name} was stored: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`Error from server \\(NotFound\\): widgets\\.example\\.com "${name}" not found`));
    };

    const freshCache = () => { mkdirSync(kv.home, { recursive: true }); return mkdtempSync(join(kv.home, 'cache-')); };

    before(async () => {
      cacheDir = freshCache();
      await ok(['create', 'namespace', ns]);
    });

    test('CRD and custom resource in one file: the second apply succeeds', async () => {
      const f = file('combined.yaml', `${crdYaml}---\n${widget('w-combined', { size: 2, color: 'red' })}`);
      const first = await run(['apply', '-f', f, '-n', ns]);
      assert.match(first.stdout, new RegExp(`^${CRD} created$`, 'm'), 'the CRD is new (was it left over by an earlier block whose CRD deletion failed?)');
      if (first.code !== 0) {
        assert.match(first.stderr, /no matches for kind "Widget" in version "example\.com\/v1"/);
        assert.match(first.stderr, /ensure CRDs are installed first/);
      }
      const second = await run(['apply', '-f', f, '-n', ns]);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.stdout, `${CRD} unchanged\nwidget.example.com/w-combined ${first.code === 0 ? 'unchanged' : 'created'}\n`);
      assert.equal(await ok(['get', 'widget', 'w-combined', '-n', ns, '-o', 'jsonpath={.spec.color}']), 'red');
    });

    test('kubectl wait --for condition=established', async () => {
      const r = await run(['wait', '--for', 'condition=established', 'crd/widgets.example.com', '--timeout=30s']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${CRD} condition met\n`);
      const crd = JSON.parse(await ok(['get', 'crd', 'widgets.example.com', '-o', 'json']));
      const cond = (t: string) => crd.status.conditions.find((c: any) => c.type === t)?.status;
      assert.equal(cond('Established'), 'True');
      assert.equal(cond('NamesAccepted'), 'True');
      assert.deepEqual(crd.status.acceptedNames, { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget', shortNames: ['wd'], categories: ['all', 'gadgets'] });
      assert.deepEqual(crd.status.storedVersions, ['v1']);
    });

    test('two files: the CRD and custom resources; defaults are applied; an update is configured', async () => {
      const crdFile = file('crd.yaml', crdYaml);
      assert.equal(await ok(['apply', '-f', crdFile]), `${CRD} unchanged\n`);
      const w1 = file('w1.yaml', widget('w1', { size: 3, color: 'blue', code: 'abc-1', releasedAt: '2020-01-01T00:00:00Z' }));
      assert.equal(await ok(['apply', '-f', w1, '-n', ns]), 'widget.example.com/w1 created\n');
      const w2 = file('w2.yaml', widget('w2', { size: 5, color: 'green', replicas: 4, tier: 'gold' }));
      assert.equal(await ok(['apply', '-f', crdFile, '-f', w2, '-n', ns]), `${CRD} unchanged\nwidget.example.com/w2 created\n`);

      const live = await getJson(['widget', 'w1']);
      assert.equal(live.apiVersion, 'example.com/v1');
      assert.equal(live.kind, 'Widget');
      assert.deepEqual(live.spec, { size: 3, color: 'blue', code: 'abc-1', releasedAt: '2020-01-01T00:00:00Z', replicas: 1, tier: 'standard' });
      assert.equal(live.metadata.generation, 1);
      assert.deepEqual((await getJson(['widget', 'w2'])).spec, { size: 5, color: 'green', replicas: 4, tier: 'gold' });

      file('w1.yaml', widget('w1', { size: 4, color: 'blue', code: 'abc-1', releasedAt: '2020-01-01T00:00:00Z' }));
      assert.equal(await ok(['apply', '-f', w1, '-n', ns]), 'widget.example.com/w1 configured\n');
      const updated = await getJson(['widget', 'w1']);
      assert.equal(updated.spec.size, 4);
      assert.equal(updated.metadata.generation, 2);
      assert.equal(await ok(['apply', '-f', w1, '-n', ns]), 'widget.example.com/w1 unchanged\n');
    });

    test('get widgets prints the additional printer columns', async () => {
      const out = await ok(['get', 'widgets', '-n', ns]);
      assert.deepEqual(header(out), ['NAME', 'COLOR', 'SIZE', 'REPLICAS', 'RELEASED', 'AGE']);
      const w1 = cellsOf(out, 'w1') ?? [];
      assert.deepEqual(w1.slice(0, 4), ['w1', 'blue', '4', '1']);
      assert.match(w1[4] ?? '', /^\d+y(\d+d)?$/, 'a date column prints an age');
      assert.match(w1[5] ?? '', /^\d+s$/);
      const w2 = cellsOf(out, 'w2') ?? [];
      assert.deepEqual(w2.slice(0, 5), ['w2', 'green', '5', '4', ''], 'a column whose path is missing is empty');
      assert.match(w2[5] ?? '', /^\d+s$/);
      const one = await ok(['get', 'widget', 'w2', '-n', ns]);
      assert.deepEqual(header(one), ['NAME', 'COLOR', 'SIZE', 'REPLICAS', 'RELEASED', 'AGE']);
      assert.equal(one.trim().split('\n').length, 2);
    });

    test('short name, category and get all', async () => {
      assert.equal(await ok(['get', 'wd', '-n', ns, '-o', 'name']), 'widget.example.com/w-combined\nwidget.example.com/w1\nwidget.example.com/w2\n');
      assert.equal(await ok(['get', 'gadgets', '-n', ns, '-o', 'name']), 'widget.example.com/w-combined\nwidget.example.com/w1\nwidget.example.com/w2\n');
      const all = await ok(['get', 'all', '-n', ns]);
      assert.deepEqual(rowOf(all, 'widget.example.com/w1')?.slice(0, 4), ['widget.example.com/w1', 'blue', '4', '1']);
      const res = await ok(['api-resources', '--api-group=example.com']);
      assert.match(res, /^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget$/m);
    });

    test('explain widgets and widgets.spec', async () => {
      const top = await run(['explain', 'widgets']);
      assert.equal(top.code, 0, top.stderr);
      assert.match(top.stdout, /^GROUP: {6}example\.com\nKIND: {7}Widget\nVERSION: {4}v1\n\nDESCRIPTION:\n {4}A Widget is a test gadget\.\n/);
      assert.match(top.stdout, /^ {2}metadata\t<ObjectMeta>$/m);
      assert.match(top.stdout, /^ {2}spec\t<Object>\n {4}WidgetSpec is the desired state of a Widget\.$/m);
      assert.match(top.stdout, /^ {2}status\t<Object>$/m);

      const spec = await run(['explain', 'widgets.spec']);
      assert.equal(spec.code, 0, spec.stderr);
      assert.match(spec.stdout, /^GROUP: {6}example\.com\nKIND: {7}Widget\nVERSION: {4}v1\n\nFIELD: spec <Object>\n/);
      assert.match(spec.stdout, /^DESCRIPTION:\n {4}WidgetSpec is the desired state of a Widget\.$/m);
      const fields = spec.stdout.split('\n').filter((l) => /^ {2}\S+\t</.test(l));
      assert.deepEqual(fields, ['  code\t<string>', '  color\t<string> -required-', '  releasedAt\t<string>', '  replicas\t<integer>', '  size\t<integer> -required-', '  tier\t<string>']);
      const enumLine = v === '1.27' ? '' : '\n {2}enum: red, green, blue';
      assert.match(spec.stdout, new RegExp(`^ {2}color\\t<string> -required-${enumLine}\\n {4}Color of the widget\\.$`, 'm'));
      assert.match(spec.stdout, /^ {2}size\t<integer> -required-\n {4}Size of the widget\.$/m);

      const v1beta1 = await run(['explain', 'widgets.spec.size', '--api-version=example.com/v1beta1']);
      assert.equal(v1beta1.code, 0, v1beta1.stderr);
      assert.match(v1beta1.stdout, /^VERSION: {4}v1beta1$/m);
      assert.match(v1beta1.stdout, /^FIELD: size <integer>$/m);
    });

    test('invalid custom resources are rejected with the upstream messages and not stored', async () => {
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['bad-type', { size: 'big', color: 'red' }, 'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"'],
        ['bad-enum', { size: 1, color: 'purple' }, 'spec.color: Unsupported value: "purple": supported values: "red", "green", "blue"'],
        ['bad-pattern', { size: 1, color: 'red', code: 'ABC' }, `spec.code: Invalid value: "ABC": spec.code in body should match '^[a-z]{3}-[0-9]+$'`],
        ['bad-max', { size: 11, color: 'red' }, 'spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10'],
        ['bad-min', { size: 0, color: 'red' }, 'spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1'],
        ['bad-required', { size: 1 }, 'spec.color: Required value'],
      ];
      // Every case runs before anything is asserted, so that one report lists all wrong answers.
      const seen: string[] = [];
      for (const [name, spec] of cases) {
        const r = await run(['apply', '-f', file(`${name}.yaml`, widget(name, spec)), '-n', ns]);
        const stored = (await run(['get', 'widget', name, '-n', ns, '-o', 'name'])).code === 0;
        seen.push(`${name}: exit ${r.code}${stored ? ' (stored)' : ''}: ${r.stderr}`);
      }
      // An update that breaks the schema is rejected too, and the object is unchanged.
      const r = await run(['patch', 'widget', 'w2', '-n', ns, '--type=merge', '-p', '{"spec":{"color":"purple"}}']);
      const color = await ok(['get', 'widget', 'w2', '-n', ns, '-o', 'jsonpath={.spec.color}']);
      seen.push(`patch w2: exit ${r.code}: ${r.stderr}color ${color}`);
      assert.deepEqual(seen, [
        ...cases.map(([name, , message]) => `${name}: exit 1: The Widget "${name}" is invalid: ${message}\n`),
        'patch w2: exit 1: The Widget "w2" is invalid: spec.color: Unsupported value: "purple": supported values: "red", "green", "blue"\ncolor green',
      ]);
    });

    test('unknown fields: rejected under --validate=strict, pruned otherwise', async () => {
      const f = file('unknown.yaml', widget('unknown', { size: 1, color: 'red', bogus: true }));
      const strict = await run(['apply', '-f', f, '-n', ns]);
      assert.equal(strict.code, 1, strict.stdout);
      assert.equal(strict.stderr, `Error from server (BadRequest): error when creating "${f}": Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.bogus"\n`);
      await notFound('unknown');

      const warn = await run(['apply', '--validate=warn', '-f', f, '-n', ns]);
      assert.equal(warn.code, 0, warn.stderr);
      assert.equal(warn.stdout, 'widget.example.com/unknown created\n');
      assert.match(warn.stderr, /^Warning: unknown field "spec\.bogus"$/m);
      assert.deepEqual((await getJson(['widget', 'unknown'])).spec, { size: 1, color: 'red', replicas: 1, tier: 'standard' });

      const g = file('unknown2.yaml', widget('unknown2', { size: 1, color: 'red', bogus: true }));
      const ignore = await run(['apply', '--validate=false', '-f', g, '-n', ns]);
      assert.equal(ignore.code, 0, ignore.stderr);
      assert.equal(ignore.stderr, '');
      assert.deepEqual((await getJson(['widget', 'unknown2'])).spec, { size: 1, color: 'red', replicas: 1, tier: 'standard' });
    });

    test('status subresource: only status changes through it; the main resource ignores status', async () => {
      const r = await run(['patch', 'widget', 'w1', '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Ready","replicas":2,"selector":"app=w1"},"spec":{"color":"red"}}']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'widget.example.com/w1 patched\n');
      let live = await getJson(['widget', 'w1']);
      assert.deepEqual(live.status, { phase: 'Ready', replicas: 2, selector: 'app=w1' });
      assert.equal(live.spec.color, 'blue');
      assert.equal(live.metadata.generation, 2, 'a status change does not bump the generation');

      const main = await run(['patch', 'widget', 'w1', '-n', ns, '--type=merge', '-p', '{"status":{"phase":"Broken"}}']);
      assert.equal(main.code, 0, main.stderr);
      assert.equal(main.stdout, 'widget.example.com/w1 patched (no change)\n');
      live = await getJson(['widget', 'w1']);
      assert.equal(live.status.phase, 'Ready');

      const bad = await run(['patch', 'widget', 'w1', '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"replicas":"two"}}']);
      assert.equal(bad.code, 1);
      // Upstream validates the status alone (its schema rooted at "status", hence "replicas in body"),
      // then the scale subresource's statusReplicasPath, and reports both.
      assert.equal(bad.stderr, 'The Widget "w1" is invalid: \n'
        + '* status.replicas: Invalid value: "string": replicas in body must be of type integer: "string"\n'
        + '* .status.replicas: Invalid value: 0: .status.replicas accessor error: two is of the type string, expected int64\n');
      assert.equal(await ok(['get', 'widget', 'w1', '-n', ns, '-o', 'jsonpath={.status.replicas}']), '2');
    });

    test('scale subresource', async () => {
      const r = await run(['scale', 'widget/w1', '--replicas=3', '-n', ns]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'widget.example.com/w1 scaled\n');
      assert.equal(await ok(['get', 'widget', 'w1', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), '3');
      const scale = JSON.parse(await ok(['get', '--raw', `/apis/example.com/v1/namespaces/${ns}/widgets/w1/scale`]));
      assert.equal(scale.kind, 'Scale');
      assert.equal(scale.apiVersion, 'autoscaling/v1');
      assert.equal(scale.metadata.name, 'w1');
      assert.equal(scale.metadata.namespace, ns);
      assert.deepEqual(scale.spec, { replicas: 3 });
      assert.deepEqual(scale.status, { replicas: 2, selector: 'app=w1' });
    });

    test('v1beta1 reads a v1 object, and a v1beta1 object reads as v1', async () => {
      const beta = await getJson(['widgets.v1beta1.example.com', 'w1']);
      assert.equal(beta.apiVersion, 'example.com/v1beta1');
      assert.equal(beta.spec.size, 4);
      assert.equal(beta.metadata.uid, (await getJson(['widget', 'w1'])).metadata.uid);
      const raw = JSON.parse(await ok(['get', '--raw', `/apis/example.com/v1beta1/namespaces/${ns}/widgets/w1`]));
      assert.equal(raw.apiVersion, 'example.com/v1beta1');
      assert.deepEqual(raw.status, { phase: 'Ready', replicas: 2, selector: 'app=w1' });

      const f = file('beta.yaml', widget('w-beta', { size: 2, color: 'green' }, 'example.com/v1beta1'));
      assert.equal(await ok(['apply', '-f', f, '-n', ns]), 'widget.example.com/w-beta created\n');
      const asV1 = await getJson(['widget', 'w-beta']);
      assert.equal(asV1.apiVersion, 'example.com/v1');
      assert.deepEqual(asV1.spec, { size: 2, color: 'green', replicas: 1, tier: 'standard' });
    });

    test('deleting the CRD deletes its custom resources', async () => {
      // (A real cluster finishes this in about a second; the timeout keeps a hang short.)
      const r = await run(['delete', 'crd', 'widgets.example.com', '--timeout=20s']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'customresourcedefinition.apiextensions.k8s.io "widgets.example.com" deleted\n');
      const raw = await run(['get', '--raw', `/apis/example.com/v1/namespaces/${ns}/widgets/w1`]);
      assert.equal(raw.code, 1);
      assert.match(raw.stderr, /NotFound/);
      // A fresh discovery cache, as a user without the CRD in their cache sees it.
      const fresh = freshCache();
      const gone = await run(['get', 'widgets', '-n', ns], fresh);
      assert.equal(gone.code, 1);
      assert.equal(gone.stderr, 'error: the server doesn\'t have a resource type "widgets"\n');

      // Re-creating the CRD brings back none of the old objects.
      assert.equal(await ok(['apply', '-f', file('crd.yaml', crdYaml)]), `${CRD} created\n`);
      await ok(['wait', '--for', 'condition=established', 'crd/widgets.example.com', '--timeout=30s']);
      const empty = await run(['get', 'widgets', '-n', ns], freshCache());
      assert.equal(empty.code, 0, empty.stderr);
      assert.equal(empty.stdout, '');
      assert.equal(empty.stderr, `No resources found in ${ns} namespace.\n`);
      assert.match(await ok(['delete', 'crd', 'widgets.example.com', '--timeout=20s']), /deleted/);
    });
  });
}

test('a deprecated version: kubectl prints the Warning the server sends', async () => {
  mkdirSync(kv.home, { recursive: true });
  const cache = mkdtempSync(join(kv.home, 'cache-'));
  const run = (args: string[], input?: string) => runKubectl(kv, kubectlBinary('1.33'), [`--cache-dir=${cache}`, ...args], input);
  const version = (name: string, extra: string) => `  - name: ${name}
    served: true
    storage: ${name === 'v1'}${extra}
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true`;
  const gizmos = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gizmos.warn.example.com
spec:
  group: warn.example.com
  scope: Namespaced
  names: {kind: Gizmo, listKind: GizmoList, plural: gizmos, singular: gizmo}
  versions:
${version('v1alpha1', '\n    deprecated: true')}
${version('v1beta1', '\n    deprecated: true\n    deprecationWarning: "gizmos v1beta1 is going away"')}
${version('v1', '')}
`;
  const applied = await run(['apply', '-f', '-'], gizmos);
  assert.equal(applied.code, 0, applied.stderr);
  const wait = await run(['wait', '--for', 'condition=established', 'crd/gizmos.warn.example.com', '--timeout=30s']);
  assert.equal(wait.code, 0, wait.stderr);

  const old = await run(['get', 'gizmos.v1alpha1.warn.example.com', '-n', 'default']);
  assert.equal(old.code, 0, old.stderr);
  assert.equal(old.stderr, 'Warning: warn.example.com/v1alpha1 Gizmo is deprecated; use warn.example.com/v1 Gizmo\nNo resources found in default namespace.\n');
  const custom = await run(['get', 'gizmos.v1beta1.warn.example.com', '-n', 'default']);
  assert.equal(custom.stderr, 'Warning: gizmos v1beta1 is going away\nNo resources found in default namespace.\n');
  const current = await run(['get', 'gizmos.v1.warn.example.com', '-n', 'default']);
  assert.equal(current.stderr, 'No resources found in default namespace.\n');

  const deleted = await run(['delete', 'crd', 'gizmos.warn.example.com', '--timeout=20s']);
  assert.equal(deleted.code, 0, deleted.stderr);
});

test("CEL rules with Kubernetes' libraries: quantity, url, ip/cidr and format are enforced on kubectl apply", async () => {
  const run = (args: string[]) => runKubectl(kv, kubectlBinary('dispatcher'), args);
  const ns = 'crd-cel-libraries';
  const dir = join(kv.home, ns);
  const gaugeCRD = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gauges.cel.example.com' },
    spec: {
      group: 'cel.example.com', scope: 'Namespaced', names: { plural: 'gauges', singular: 'gauge', kind: 'Gauge', listKind: 'GaugeList' },
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: {
          type: 'object',
          properties: { memory: { type: 'string' }, endpoint: { type: 'string' }, address: { type: 'string' }, label: { type: 'string' } },
          'x-kubernetes-validations': [
            { rule: "!has(self.memory) || quantity(self.memory).isLessThan(quantity('1Gi'))", message: 'memory must be below 1Gi' },
            { rule: "!has(self.endpoint) || (isURL(self.endpoint) && url(self.endpoint).getScheme() == 'https')", message: 'endpoint must be an https URL' },
            { rule: "!has(self.address) || (isIP(self.address) && cidr('10.0.0.0/8').containsIP(ip(self.address)))", message: 'address must be in 10.0.0.0/8' },
            { rule: '!has(self.label) || !format.dns1123Label().validate(self.label).hasValue()', message: 'label must be a DNS-1123 label' },
          ],
        } } } },
      }],
    },
  };
  const gauge = (name: string, spec: Record<string, unknown>) => writeFile(join(dir, `${name}.json`), JSON.stringify({ apiVersion: 'cel.example.com/v1', kind: 'Gauge', metadata: { name, namespace: ns }, spec }));
  assert.equal((await run(['create', 'namespace', ns])).code, 0);
  const created = await run(['apply', '-f', writeFile(join(dir, 'crd.json'), JSON.stringify(gaugeCRD))]);
  assert.equal(created.code, 0, created.stderr);
  try {
    assert.equal((await run(['wait', '--for', 'condition=established', 'crd/gauges.cel.example.com', '--timeout=30s'])).code, 0);
    const good = await run(['apply', '-f', gauge('good', { memory: '512Mi', endpoint: 'https://example.com/api', address: '10.1.2.3', label: 'front-end' })]);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout, 'gauge.cel.example.com/good created\n');
    const cases: [string, Record<string, unknown>, string][] = [
      ['big', { memory: '2Gi' }, 'memory must be below 1Gi'],
      ['plain', { endpoint: 'http://example.com' }, 'endpoint must be an https URL'],
      ['relative', { endpoint: '../x' }, 'endpoint must be an https URL'],
      ['outside', { address: '192.168.0.1' }, 'address must be in 10.0.0.0/8'],
      ['upper', { label: 'Front_End' }, 'label must be a DNS-1123 label'],
    ];
    for (const [name, spec, message] of cases) {
      const r = await run(['apply', '-f', gauge(name, spec)]);
      assert.equal(r.code, 1, `${name}: ${r.stdout}`);
      assert.equal(r.stderr, `The Gauge "${name}" is invalid: spec: Invalid value: "object": ${message}\n`, name);
    }
    // A library function's own failure is reported with the rule.
    const malformed = await run(['apply', '-f', gauge('malformed', { memory: 'lots' })]);
    assert.equal(malformed.code, 1);
    assert.equal(malformed.stderr, `The Gauge "malformed" is invalid: spec: Invalid value: "object": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' evaluating rule: memory must be below 1Gi\n`);
  } finally {
    await run(['delete', 'crd', 'gauges.cel.example.com']);
  }
});

test('CEL rules as upstream evaluates them: escaped property names, has() below an index, formatted strings, optionals, the left error of ||', async () => {
  const run = (args: string[]) => runKubectl(kv, kubectlBinary('dispatcher'), args);
  const ns = 'crd-cel-values';
  const dir = join(kv.home, ns);
  const routeCRD = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'routes.cel.example.com' },
    spec: {
      group: 'cel.example.com', scope: 'Namespaced', names: { plural: 'routes', singular: 'route', kind: 'Route', listKind: 'RouteList' },
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: {
          type: 'object',
          properties: {
            parents: {
              type: 'array',
              items: { type: 'object', properties: { name: { type: 'string' }, namespace: { type: 'string' } } },
              'x-kubernetes-validations': [{
                rule: 'self.all(a, self.exists_one(b, a.name == b.name && (has(a.__namespace__) ? has(b.__namespace__) && a.__namespace__ == b.__namespace__ : !has(b.__namespace__))))',
                message: 'parents must be unique',
              }],
            },
            rules: {
              type: 'array',
              items: {
                type: 'object',
                properties: { matches: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' } } } } },
                'x-kubernetes-validations': [{ rule: "!has(self.matches[0].path) || self.matches[0].path.startsWith('/')", message: 'the first path must be absolute' }],
              },
            },
            'max-age': { type: 'string', format: 'duration', 'x-kubernetes-validations': [{ rule: "self <= duration('1h')", message: 'max-age is at most an hour' }] },
            // cel-go: an optional is never equal to null, so this refuses every label.
            label: { type: 'string', 'x-kubernetes-validations': [{ rule: 'format.dns1123Label().validate(self) == null', message: 'an optional is never null' }] },
            tls: {
              type: 'object',
              properties: { certs: { type: 'array', items: { type: 'string' } }, options: { type: 'object', additionalProperties: { type: 'string' } } },
              'x-kubernetes-validations': [{ rule: 'size(self.certs) > 0 || size(self.options) > 0', message: 'certs or options are required' }],
            },
          },
        } } } },
      }],
    },
  };
  const route = (name: string, spec: Record<string, unknown>) => writeFile(join(dir, `${name}.json`), JSON.stringify({ apiVersion: 'cel.example.com/v1', kind: 'Route', metadata: { name, namespace: ns }, spec }));
  assert.equal((await run(['create', 'namespace', ns])).code, 0);
  const created = await run(['apply', '--server-side', '-f', writeFile(join(dir, 'crd.json'), JSON.stringify(routeCRD))]);
  assert.equal(created.code, 0, created.stderr);
  try {
    assert.equal((await run(['wait', '--for', 'condition=established', 'crd/routes.cel.example.com', '--timeout=30s'])).code, 0);
    const good = await run(['apply', '-f', route('good', {
      parents: [{ name: 'gw', namespace: 'a' }, { name: 'gw', namespace: 'b' }, { name: 'gw' }],
      rules: [{ matches: [{ path: '/a' }] }, { matches: [{}] }], 'max-age': '30m', tls: { certs: ['c'] },
    })]);
    assert.equal(good.stderr, '');
    assert.equal(good.stdout, 'route.cel.example.com/good created\n');
    const cases: [string, Record<string, unknown>, string][] = [
      ['dup', { parents: [{ name: 'gw', namespace: 'a' }, { name: 'gw', namespace: 'a' }] }, 'spec.parents: Invalid value: "array": parents must be unique'],
      ['relative', { rules: [{ matches: [{ path: 'a' }] }] }, 'spec.rules[0]: Invalid value: "object": the first path must be absolute'],
      ['old', { 'max-age': '2h' }, 'spec.max-age: Invalid value: "2h": max-age is at most an hour'],
      ['tls', { tls: {} }, 'spec.tls: Invalid value: "object": no such key: certs evaluating rule: certs or options are required'],
      ['label', { label: 'web' }, 'spec.label: Invalid value: "web": an optional is never null'],
    ];
    for (const [name, spec, message] of cases) {
      const r = await run(['apply', '-f', route(name, spec)]);
      assert.equal(r.code, 1, `${name}: ${r.stdout}`);
      assert.equal(r.stderr, `The Route "${name}" is invalid: ${message}\n`, name);
    }
  } finally {
    await run(['delete', 'crd', 'routes.cel.example.com']);
  }
});
