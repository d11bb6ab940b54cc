// pods/ephemeralcontainers through the HTTP handlers and the generic store: get
// returns the Pod; update and patch add ephemeral containers and change nothing
// else; removing or changing one is refused with upstream's texts; the main
// resource refuses any change to spec.ephemeralContainers.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessServer, type InProcessServer } from '../../../test/support/in-process-server.ts';
import { Client } from '../../../test/support/client.ts';

let server: InProcessServer;
let client: Client;

const pods = '/api/v1/namespaces/default/pods';
const SMP = 'application/strategic-merge-patch+json';

async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const r = await client.request(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': contentType } });
  return { status: r.status, body: r.json() };
}

async function createPod(name: string, extra: { annotations?: Record<string, string>; spec?: Record<string, unknown> } = {}) {
  const r = await call('POST', pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations: extra.annotations },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...(extra.spec ?? {}) },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** What kubectl debug sends: a two-way strategic merge patch adding the container. */
const debugPatch = (name: string, more: Record<string, unknown> = {}) => ({
  spec: { ephemeralContainers: [{ name, image: 'busybox', resources: {}, stdin: true, tty: true, terminationMessagePolicy: 'File', ...more }] },
});

before(async () => {
  server = await startInProcessServer('ephemeral', () => () => undefined);
  client = new Client(server.kubeconfig);
});
after(async () => { client?.close(); await server?.close(); });

test('GET pods/NAME/ephemeralcontainers is the Pod', async () => {
  await createPod('get-me');
  const r = await call('GET', `${pods}/get-me/ephemeralcontainers`);
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Pod');
  assert.equal(r.body.metadata.name, 'get-me');
  const post = await call('POST', `${pods}/get-me/ephemeralcontainers`, {});
  assert.equal(post.status, 405);
});

test('a strategic merge patch adds a defaulted ephemeral container and changes nothing else', async () => {
  const before = await createPod('web');
  const r = await call('PATCH', `${pods}/web/ephemeralcontainers`, {
    metadata: { labels: { sneaky: 'yes' } },
    spec: { ...debugPatch('debugger').spec, activeDeadlineSeconds: 5 },
    status: { phase: 'Failed' },
  }, SMP);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.kind, 'Pod');
  const ec = r.body.spec.ephemeralContainers;
  assert.equal(ec.length, 1);
  assert.equal(ec[0].name, 'debugger');
  assert.equal(ec[0].imagePullPolicy, 'Always');
  assert.equal(ec[0].terminationMessagePath, '/dev/termination-log');
  assert.equal(ec[0].stdin, true);
  // Only spec.ephemeralContainers changed: labels, the rest of the spec and status are the stored pod's.
  assert.equal(r.body.metadata.labels, undefined);
  assert.equal(r.body.spec.activeDeadlineSeconds, undefined);
  assert.equal(r.body.status.phase, 'Pending');
  assert.deepEqual(r.body.spec.containers, before.spec.containers);
  assert.equal(r.body.metadata.generation, before.metadata.generation + 1);
  const entry = r.body.metadata.managedFields.find((m: { subresource?: string }) => m.subresource === 'ephemeralcontainers');
  assert.equal(entry?.operation, 'Update');
  assert.ok(entry?.fieldsV1?.['f:spec']?.['f:ephemeralContainers'], JSON.stringify(entry));

  // A second one is added; the first stays as it was. kubectl's two-way patch orders the list
  // with $setElementOrder (without it, patch items come first, as upstream merges them).
  const second = await call('PATCH', `${pods}/web/ephemeralcontainers`, {
    spec: { '$setElementOrder/ephemeralContainers': [{ name: 'debugger' }, { name: 'debugger-2' }], ...debugPatch('debugger-2').spec },
  }, SMP);
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.deepEqual(second.body.spec.ephemeralContainers.map((c: { name: string }) => c.name), ['debugger', 'debugger-2']);
  assert.deepEqual(second.body.spec.ephemeralContainers[0], ec[0]);
});

test('a PUT and a JSON patch add ephemeral containers too', async () => {
  const pod = await createPod('put');
  pod.spec.ephemeralContainers = [{ name: 'one', image: 'busybox', terminationMessagePolicy: 'File' }];
  const put = await call('PUT', `${pods}/put/ephemeralcontainers`, pod);
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.spec.ephemeralContainers[0].name, 'one');
  const jp = await call('PATCH', `${pods}/put/ephemeralcontainers`,
    [{ op: 'add', path: '/spec/ephemeralContainers/-', value: { name: 'two', image: 'busybox', terminationMessagePolicy: 'File' } }],
    'application/json-patch+json');
  assert.equal(jp.status, 200, JSON.stringify(jp.body));
  assert.deepEqual(jp.body.spec.ephemeralContainers.map((c: { name: string }) => c.name), ['one', 'two']);
});

test('existing ephemeral containers may be neither removed nor changed', async () => {
  await createPod('keep');
  assert.equal((await call('PATCH', `${pods}/keep/ephemeralcontainers`, debugPatch('debugger'), SMP)).status, 200);

  const changed = await call('PATCH', `${pods}/keep/ephemeralcontainers`, debugPatch('debugger', { image: 'alpine' }), SMP);
  assert.equal(changed.status, 422);
  assert.equal(changed.body.reason, 'Invalid');
  assert.equal(changed.body.message,
    'Pod "keep" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger" may not be changed\n' +
    '- spec.ephemeralContainers[0].image: "busybox"\n+ spec.ephemeralContainers[0].image: "alpine"');
  assert.deepEqual(changed.body.details.causes.map((c: { reason: string; field: string }) => [c.reason, c.field]),
    [['FieldValueForbidden', 'spec.ephemeralContainers']]);

  const removed = await call('PATCH', `${pods}/keep/ephemeralcontainers`, [{ op: 'remove', path: '/spec/ephemeralContainers/0' }], 'application/json-patch+json');
  assert.equal(removed.status, 422);
  assert.equal(removed.body.message,
    'Pod "keep" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger" may not be removed\n');

  const stored = await call('GET', `${pods}/keep`);
  assert.equal(stored.body.spec.ephemeralContainers[0].image, 'busybox');
});

test('a new ephemeral container is validated: unique names, fields an ephemeral container may not set', async () => {
  await createPod('rules', { spec: { initContainers: [{ name: 'init', image: 'busybox' }] } });
  for (const [name, want] of [['app', 'Duplicate value: "app"'], ['init', 'Duplicate value: "init"']]) {
    const r = await call('PATCH', `${pods}/rules/ephemeralcontainers`, debugPatch(name!), SMP);
    assert.equal(r.status, 422);
    assert.equal(r.body.message, `Pod "rules" is invalid: spec.ephemeralContainers[0].name: ${want}`);
  }
  const bad = await call('PATCH', `${pods}/rules/ephemeralcontainers`, debugPatch('dbg', {
    ports: [{ containerPort: 80 }], readinessProbe: { tcpSocket: { port: 80 } }, lifecycle: { preStop: { exec: { command: ['true'] } } },
    resources: { limits: { cpu: '1' } }, targetContainerName: 'nope',
  }), SMP);
  assert.equal(bad.status, 422);
  const causes = bad.body.details.causes.map((c: { field: string; message: string }) => `${c.field}: ${c.message}`);
  for (const f of ['ports', 'readinessProbe', 'lifecycle', 'resources']) {
    assert.ok(causes.includes(`spec.ephemeralContainers[0].${f}: Forbidden: cannot be set for an Ephemeral Container`), causes.join('\n'));
  }
  assert.ok(causes.includes('spec.ephemeralContainers[0].targetContainerName: Not found: "nope"'), causes.join('\n'));
  const ok = await call('PATCH', `${pods}/rules/ephemeralcontainers`, debugPatch('dbg', { targetContainerName: 'app' }), SMP);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const dup = await call('PATCH', `${pods}/rules/ephemeralcontainers`,
    { spec: { ephemeralContainers: [{ name: 'dbg2', image: 'busybox', terminationMessagePolicy: 'File' }, { name: 'dbg2', image: 'alpine', terminationMessagePolicy: 'File' }] } },
    'application/merge-patch+json');
  assert.equal(dup.status, 422);
  assert.match(dup.body.message, /existing ephemeral containers "dbg" may not be removed/);
  assert.match(dup.body.message, /spec\.ephemeralContainers\[1\]\.name: Duplicate value: "dbg2"/);
});

test('the main resource refuses changes to spec.ephemeralContainers', async () => {
  await createPod('main');
  const r = await call('PATCH', `${pods}/main`, debugPatch('debugger'), SMP);
  assert.equal(r.status, 422);
  assert.match(r.body.message, /^Pod "main" is invalid: spec: Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`/);
  assert.match(r.body.message, /\+ spec\.ephemeralContainers: \[\{"name":"debugger"/);

  assert.equal((await call('PATCH', `${pods}/main/ephemeralcontainers`, debugPatch('debugger'), SMP)).status, 200);
  const pod = (await call('GET', `${pods}/main`)).body;
  pod.spec.ephemeralContainers = [];
  const put = await call('PUT', `${pods}/main`, pod);
  assert.equal(put.status, 422);
  assert.match(put.body.message, /pod updates may not change fields other than/);
  // An update that leaves them alone still works.
  const labelled = await call('PATCH', `${pods}/main`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
  assert.equal(labelled.status, 200, JSON.stringify(labelled.body));
  assert.equal(labelled.body.spec.ephemeralContainers.length, 1);
});

test('ephemeral containers cannot be set on create', async () => {
  const r = await call('POST', pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'born-with' },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ephemeralContainers: [{ name: 'dbg', image: 'busybox', terminationMessagePolicy: 'File' }] },
  });
  assert.equal(r.status, 422);
  assert.equal(r.body.message, 'Pod "born-with" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create');
});

test('static (mirror) pods do not support ephemeral containers', async () => {
  await createPod('static', { annotations: { 'kubernetes.io/config.mirror': 'abc' }, spec: { nodeName: 'node-a' } });
  const r = await call('PATCH', `${pods}/static/ephemeralcontainers`, debugPatch('debugger'), SMP);
  assert.equal(r.status, 422);
  assert.equal(r.body.message, 'Pod "static" is invalid: : Forbidden: static pods do not support ephemeral containers');
});

test('dry run stores nothing; a missing pod is 404', async () => {
  await createPod('dry');
  const r = await call('PATCH', `${pods}/dry/ephemeralcontainers?dryRun=All`, debugPatch('debugger'), SMP);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.spec.ephemeralContainers.length, 1);
  assert.equal((await call('GET', `${pods}/dry`)).body.spec.ephemeralContainers, undefined);
  const missing = await call('PATCH', `${pods}/nope/ephemeralcontainers`, debugPatch('debugger'), SMP);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.details.name, 'nope');
});
