// Bad requests get the right 4xx Status, change nothing, and the server stays up.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { Client, type Response } from '../support/client.ts';

let kv: Kubevisor;
let c: Client;

before(async () => { kv = await startKubevisor(); c = new Client(kv.kubeconfig); });
after(async () => { c?.close(); await kv?.stop(); });

const cms = '/api/v1/namespaces/default/configmaps';
const json = { 'Content-Type': 'application/json' };

function expectStatus(r: Response, code: number, reason: string, message?: RegExp): void {
  const body = r.json();
  assert.equal(r.status, code, r.body.toString());
  assert.equal(body.kind, 'Status');
  assert.equal(body.status, 'Failure');
  assert.equal(body.code, code);
  assert.equal(body.reason, reason);
  if (message) assert.match(body.message, message);
}

async function names(): Promise<string[]> {
  const r = await c.request('GET', cms);
  return r.json().items.map((i: any) => i.metadata.name);
}

test('unauthenticated requests get 401; health and version stay public', async () => {
  expectStatus(await c.request('GET', cms, { anonymous: true }), 401, 'Unauthorized');
  expectStatus(await c.request('GET', '/api', { anonymous: true, headers: { Authorization: 'Bearer wrong' } }), 401, 'Unauthorized');
  assert.equal((await c.request('GET', '/healthz', { anonymous: true })).status, 200);
  assert.equal((await c.request('GET', '/version', { anonymous: true })).status, 200);
});

test('malformed JSON, YAML and protobuf bodies are 400 and store nothing', async () => {
  const before = await names();
  expectStatus(await c.request('POST', cms, { body: '{"metadata": {"name": "x"', headers: json }), 400, 'BadRequest');
  expectStatus(await c.request('POST', cms, { body: 'metadata: {name: [unclosed', headers: { 'Content-Type': 'application/yaml' } }), 400, 'BadRequest');
  expectStatus(await c.request('POST', cms, { body: '[1,2,3]', headers: json }), 400, 'BadRequest');
  expectStatus(await c.request('POST', cms, { body: '{"metadata": "nope"}', headers: json }), 400, 'BadRequest');
  expectStatus(await c.request('POST', cms, { body: Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xff]), headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' } }), 400, 'BadRequest');
  expectStatus(await c.request('POST', cms, { body: Buffer.from('garbage'), headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' } }), 400, 'BadRequest');
  expectStatus(await c.request('POST', cms, { body: '{}', headers: { 'Content-Type': 'text/plain' } }), 415, 'UnsupportedMediaType');
  assert.deepEqual(await names(), before);
});

test('a body without a Content-Type is JSON, as upstream decodes it (kubectl create --raw sends none); a patch without one is 415', async () => {
  const r = await c.request('POST', cms, { body: JSON.stringify({ metadata: { name: 'untyped' }, data: { a: '1' } }) });
  assert.equal(r.status, 201, r.body.toString());
  assert.deepEqual((await c.request('GET', `${cms}/untyped`)).json().data, { a: '1' });
  expectStatus(await c.request('PATCH', `${cms}/untyped`, { body: '{"data":{"a":"2"}}' }), 415, 'UnsupportedMediaType');
  assert.deepEqual((await c.request('GET', `${cms}/untyped`)).json().data, { a: '1' });
  await c.request('DELETE', `${cms}/untyped`);
});

test('a body whose kind, apiVersion or namespace contradicts the URL is 400', async () => {
  const before = await names();
  expectStatus(await c.request('POST', cms, { body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'k' } }), headers: json }), 400, 'BadRequest', /kind/);
  expectStatus(await c.request('POST', cms, { body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'k' } }), headers: json }), 400, 'BadRequest', /API version/);
  expectStatus(await c.request('POST', cms, { body: JSON.stringify({ metadata: { name: 'k', namespace: 'kube-system' } }), headers: json }), 400, 'BadRequest', /namespace/);
  assert.deepEqual(await names(), before);
});

test('values of the wrong JSON type are 400 on create, 422 through a patch', async () => {
  const pods = '/api/v1/namespaces/default/pods';
  const r = await c.request('POST', pods, { body: JSON.stringify({ metadata: { name: 'typed' }, spec: 'x' }), headers: json });
  expectStatus(r, 400, 'BadRequest', /^Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field Pod\.spec of type v1\.PodSpec$/);
  const ok = await c.request('POST', cms, { body: JSON.stringify({ metadata: { name: 'typed' } }), headers: json });
  assert.equal(ok.status, 201);
  const p = await c.request('PATCH', `${cms}/typed`, { body: JSON.stringify({ data: { a: 1 } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
  expectStatus(p, 422, 'Invalid', /json: cannot unmarshal number into Go struct field ConfigMap\.data of type string/);
  assert.equal((await c.request('GET', `${cms}/typed`)).json().data, undefined, 'nothing changed');
});

test('bodies over 3 MiB are 413', async () => {
  const big = JSON.stringify({ metadata: { name: 'big' }, data: { x: 'a'.repeat(3 * 1024 * 1024) } });
  expectStatus(await c.request('POST', cms, { body: big, headers: json }), 413, 'RequestEntityTooLarge');
  assert.ok(!(await names()).includes('big'));
});

test('invalid names are 422 Invalid with field causes', async () => {
  const r = await c.request('POST', cms, { body: JSON.stringify({ metadata: { name: 'Not_Valid' } }), headers: json });
  expectStatus(r, 422, 'Invalid', /ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid"/);
  assert.equal(r.json().details.causes[0].field, 'metadata.name');
  const nsr = await c.request('POST', '/api/v1/namespaces', { body: JSON.stringify({ metadata: { name: 'a.b' } }), headers: json });
  expectStatus(nsr, 422, 'Invalid');
  expectStatus(await c.request('POST', cms, { body: JSON.stringify({ metadata: {} }), headers: json }), 422, 'Invalid', /name or generateName is required/);
});

test('unknown fields: Strict rejects, Warn warns, Ignore ignores', async () => {
  const body = JSON.stringify({ metadata: { name: 'strict' }, data: { a: 'b' }, bogus: 1 });
  expectStatus(await c.request('POST', `${cms}?fieldValidation=Strict`, { body, headers: json }), 400, 'BadRequest', /strict decoding error: unknown field "bogus"/);
  assert.ok(!(await names()).includes('strict'));
  const w = await c.request('POST', `${cms}?fieldValidation=Warn`, { body, headers: json });
  assert.equal(w.status, 201);
  assert.match(String(w.headers.warning), /unknown field \\?"bogus\\?"/);
  const dup = await c.request('POST', `${cms}?fieldValidation=Strict`, { body: '{"metadata":{"name":"d1","name":"d2"}}', headers: json });
  expectStatus(dup, 400, 'BadRequest', /duplicate field "metadata.name"/);
});

test('stale updates are 409 Conflict; unknown resources 404; wrong verbs 405', async () => {
  const created = await c.request('POST', cms, { body: JSON.stringify({ metadata: { name: 'occ' } }), headers: json });
  assert.equal(created.status, 201);
  const obj = created.json();
  const up = await c.request('PUT', `${cms}/occ`, { body: JSON.stringify({ ...obj, data: { v: '1' } }), headers: json });
  assert.equal(up.status, 200);
  expectStatus(await c.request('PUT', `${cms}/occ`, { body: JSON.stringify({ ...obj, data: { v: '2' } }), headers: json }), 409, 'Conflict');
  expectStatus(await c.request('GET', '/api/v1/namespaces/default/widgets'), 404, 'NotFound');
  expectStatus(await c.request('GET', `${cms}/missing`), 404, 'NotFound', /configmaps "missing" not found/);
  expectStatus(await c.request('PUT', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews/x', { body: '{}', headers: json }), 405, 'MethodNotAllowed');
  expectStatus(await c.request('GET', cms, { headers: { Accept: 'image/png' } }), 406, 'NotAcceptable');
  expectStatus(await c.request('POST', '/api/v1/namespaces/nope/configmaps', { body: JSON.stringify({ metadata: { name: 'x' } }), headers: json }), 404, 'NotFound', /namespaces "nope" not found/);
});

test('the server is still up and consistent after all of that', async () => {
  const r = await c.request('GET', '/readyz');
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'ok');
});
