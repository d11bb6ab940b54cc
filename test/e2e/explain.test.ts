// kubectl explain of built-in kinds with each supported kubectl version (the
// custom-kind case lives in crd.test.ts). kubevisor serves the upstream
// schema structure without its prose, so descriptions are not checked here.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { kubectlFor } from '../support/kubectl.ts';

let kv: Kubevisor;

before(async () => { kv = await startKubevisor(); });
after(async () => { await kv?.stop(); });

/** The `name\t<type>[ -required-]` lines of a FIELDS: section, at the given indent. */
function fieldLines(out: string, indent = 2): string[] {
  const re = new RegExp(`^ {${indent}}(\\S+)\\t(<[^>]+>(?: -required-)?)$`);
  return out.split('\n').map((l) => re.exec(l)).filter((m) => m !== null).map((m) => `${m[1]} ${m[2]}`);
}

for (const version of ['1.27', '1.30', '1.33', 'dispatcher']) {
  describe(`kubectl ${version}`, { concurrency: false }, () => {
    const k = () => kubectlFor(kv, version);

    test('explain deployment', async () => {
      const r = await k().run(['explain', 'deployment']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^GROUP: {6}apps\nKIND: {7}Deployment\nVERSION: {4}v1\n\nDESCRIPTION:\n/);
      assert.deepEqual(fieldLines(r.stdout), [
        'apiVersion <string>',
        'kind <string>',
        'metadata <ObjectMeta>',
        'spec <DeploymentSpec>',
        'status <DeploymentStatus>',
      ]);
    });

    test('explain deployment.spec.template.spec.containers', async () => {
      const r = await k().run(['explain', 'deployment.spec.template.spec.containers']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^GROUP: {6}apps\nKIND: {7}Deployment\nVERSION: {4}v1\n\nFIELD: containers <\[\]Container>\n/);
      const fields = fieldLines(r.stdout);
      for (const f of ['args <[]string>', 'command <[]string>', 'env <[]EnvVar>', 'image <string>', 'name <string> -required-',
        'ports <[]ContainerPort>', 'resources <ResourceRequirements>', 'volumeMounts <[]VolumeMount>']) {
        assert.ok(fields.includes(f), `${f} in ${fields.join(', ')}`);
      }
      assert.deepEqual([...fields].sort(), fields, 'fields are listed alphabetically');
    });

    test('explain a nested list item field and a core kind; --recursive', async () => {
      const ports = await k().ok(['explain', 'deployment.spec.template.spec.containers.ports']);
      assert.match(ports, /^FIELD: ports <\[\]ContainerPort>$/m);
      assert.deepEqual(fieldLines(ports), ['containerPort <integer> -required-', 'hostIP <string>', 'hostPort <integer>', 'name <string>', 'protocol <string>']);
      const pod = await k().ok(['explain', 'pods.spec.restartPolicy']);
      assert.match(pod, /^KIND: {7}Pod\nVERSION: {4}v1\n\nFIELD: restartPolicy <string>\n/);
      const rec = await k().ok(['explain', 'configmap', '--recursive']);
      assert.match(rec, /^KIND: {7}ConfigMap\nVERSION: {4}v1\n/);
      assert.deepEqual(fieldLines(rec), ['apiVersion <string>', 'binaryData <map[string]string>', 'data <map[string]string>', 'immutable <boolean>', 'kind <string>', 'metadata <ObjectMeta>']);
      assert.match(rec, /^ {4}labels\t<map\[string\]string>$/m);
    });

    test('explain of a missing field or resource fails', async () => {
      const field = await k().run(['explain', 'deployment.spec.nope']);
      assert.equal(field.code, 1);
      assert.match(field.stderr, /^error: field "nope" does not exist$/m);
      const kind = await k().run(['explain', 'nosuchthings']);
      assert.equal(kind.code, 1);
      assert.match(kind.stderr, /the server doesn't have a resource type "nosuchthings"/);
    });
  });
}
