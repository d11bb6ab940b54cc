import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';

import { serveOpenAPI } from '../../server/openapi.ts';
import {
  CUSTOM_RESOURCE_OPTIONS, CUSTOM_RESOURCE_PATCH_TYPES, crdDocumentsFor, crdModelName, crdOpenAPIV2Definitions, crdOpenAPIV3,
  isEstablished, mergeV3Documents, openapiV2WithCRDs,
} from './crd.ts';
import { gadgetCRD, widgetCRD } from './crd.fixtures.ts';
import type { Json, JsonObject } from './derive.ts';
import { makeV3Document, openapiV2Json, openapiV3Document } from './index.ts';
import { fieldString, readFields } from './proto-reader.ts';
import { builtinSwaggerDocument } from './v2.ts';

const GVK = { group: 'example.com', kind: 'Widget', version: 'v1' };
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function obj(v: Json | undefined): JsonObject {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `expected an object, got ${JSON.stringify(v)}`);
  return v as JsonObject;
}

/** Every value under `key` anywhere in `v` (literal data included), with its JSON path. */
function* walk(v: Json, path = '$'): Generator<[string, string, Json]> {
  if (Array.isArray(v)) { for (let i = 0; i < v.length; i++) yield* walk(v[i]!, `${path}[${i}]`); return; }
  if (v === null || typeof v !== 'object') return;
  for (const [k, val] of Object.entries(v)) {
    yield [k, `${path}.${k}`, val];
    yield* walk(val, `${path}.${k}`);
  }
}

function refs(v: Json): string[] {
  const out: string[] = [];
  for (const [k, , val] of walk(v)) if (k === '$ref' && typeof val === 'string') out.push(val);
  return out;
}

function operations(doc: JsonObject): Array<[string, string, JsonObject]> {
  const out: Array<[string, string, JsonObject]> = [];
  for (const [path, item] of Object.entries(obj(doc.paths))) {
    for (const [m, op] of Object.entries(obj(item))) if (METHODS.includes(m)) out.push([path, m, obj(op)]);
  }
  return out;
}

const paramNames = (ps: Json | undefined): string[] => (Array.isArray(ps) ? ps.map((p) => String(obj(p).name)) : []);

describe('crdOpenAPIV3', () => {
  const doc = crdOpenAPIV3(widgetCRD(), 'v1');
  const schemas = obj(obj(doc.components).schemas);
  const NS = '/apis/example.com/v1/namespaces/{namespace}/widgets';

  it('has the paths and operations kube-apiserver serves for a namespaced CRD with status and scale', () => {
    assert.equal(doc.openapi, '3.0.0');
    assert.deepEqual(doc.info, { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' });
    const paths = obj(doc.paths);
    const methods = (p: string): string[] => Object.keys(obj(paths[p])).filter((m) => METHODS.includes(m));
    assert.deepEqual(Object.keys(paths), [NS, `${NS}/{name}`, `${NS}/{name}/scale`, `${NS}/{name}/status`, '/apis/example.com/v1/widgets']);
    assert.deepEqual(methods('/apis/example.com/v1/widgets'), ['get']);
    assert.deepEqual(methods(NS), ['delete', 'get', 'post']);
    assert.deepEqual(methods(`${NS}/{name}`), ['delete', 'get', 'patch', 'put']);
    assert.deepEqual(methods(`${NS}/{name}/status`), ['get', 'patch', 'put']);
    assert.deepEqual(methods(`${NS}/{name}/scale`), ['get', 'patch', 'put']);
    assert.ok(!Object.keys(paths).some((p) => p.includes('/watch/')), 'watching is the list operation\'s parameter');
    const ids = operations(doc).map(([, , op]) => op.operationId).sort();
    assert.deepEqual(ids, [
      'createExampleComV1NamespacedWidget', 'deleteExampleComV1CollectionNamespacedWidget', 'deleteExampleComV1NamespacedWidget',
      'listExampleComV1NamespacedWidget', 'listExampleComV1WidgetForAllNamespaces', 'patchExampleComV1NamespacedWidget',
      'patchExampleComV1NamespacedWidgetScale', 'patchExampleComV1NamespacedWidgetStatus', 'readExampleComV1NamespacedWidget',
      'readExampleComV1NamespacedWidgetScale', 'readExampleComV1NamespacedWidgetStatus', 'replaceExampleComV1NamespacedWidget',
      'replaceExampleComV1NamespacedWidgetScale', 'replaceExampleComV1NamespacedWidgetStatus',
    ]);
    for (const [path, m, op] of operations(doc)) {
      assert.deepEqual(op['x-kubernetes-group-version-kind'], GVK, `${m} ${path}`);
      assert.deepEqual(op.tags, ['exampleCom_v1']);
      assert.equal(typeof op['x-kubernetes-action'], 'string');
    }
    const actions = operations(doc).map(([p, m, op]) => `${m} ${p}=${String(op['x-kubernetes-action'])}`);
    for (const a of [`delete ${NS}=deletecollection`, `post ${NS}=post`, `get ${NS}=list`, 'get /apis/example.com/v1/widgets=list',
      `get ${NS}/{name}=get`, `put ${NS}/{name}/status=put`, `patch ${NS}/{name}/scale=patch`, `delete ${NS}/{name}=delete`]) {
      assert.ok(actions.includes(a), a);
    }
  });

  it('puts the parameters every operation of a path takes on the path, the rest on the operations', () => {
    const item = obj(obj(doc.paths)[`${NS}/{name}`]);
    assert.deepEqual(paramNames(item.parameters), ['name', 'namespace', 'pretty']);
    assert.deepEqual(obj((item.parameters as Json[])[0]), { in: 'path', name: 'name', required: true, schema: { type: 'string', uniqueItems: true } });
    assert.deepEqual(paramNames(obj(item.get).parameters), ['resourceVersion']);
    assert.deepEqual(paramNames(obj(item.put).parameters), ['dryRun', 'fieldManager', 'fieldValidation']);
    assert.deepEqual(paramNames(obj(item.patch).parameters), ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    assert.deepEqual(paramNames(obj(item.delete).parameters),
      ['dryRun', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'orphanDependents', 'propagationPolicy']);
    const all = obj(obj(doc.paths)['/apis/example.com/v1/widgets']);
    assert.ok(paramNames(all.parameters).includes('watch'));
    assert.equal(obj(all.get).parameters, undefined);
  });

  it('lets every PATCH take fieldValidation and json, merge and apply patches, never a strategic merge patch', () => {
    let patches = 0;
    for (const [path, m, op] of operations(doc)) {
      if (m === 'put' || m === 'post' || m === 'patch') {
        const fv = (op.parameters as Json[]).map(obj).find((p) => p.name === 'fieldValidation');
        assert.deepEqual(fv, { in: 'query', name: 'fieldValidation', schema: { type: 'string', uniqueItems: true } }, `${m} ${path}`);
      }
      if (m !== 'patch') continue;
      patches++;
      const body = obj(op.requestBody);
      assert.equal(body.required, true);
      assert.deepEqual(Object.keys(obj(body.content)), CUSTOM_RESOURCE_PATCH_TYPES);
      for (const c of Object.values(obj(body.content))) assert.deepEqual(obj(c).schema, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' });
    }
    assert.equal(patches, 3);
    assert.ok(!JSON.stringify(doc).includes('strategic-merge-patch'));
  });

  it('returns and reads the right schemas, with JSON and YAML', () => {
    const item = obj(obj(doc.paths)[NS]);
    const post = obj(item.post);
    assert.deepEqual(Object.keys(obj(obj(post.requestBody).content)), ['application/json', 'application/yaml']);
    assert.deepEqual(Object.keys(obj(post.responses)), ['200', '201', '202', '401']);
    assert.deepEqual(obj(obj(obj(obj(post.responses)['201']).content)['application/yaml']).schema, { $ref: '#/components/schemas/com.example.v1.Widget' });
    assert.deepEqual(obj(obj(obj(obj(obj(item.get).responses)['200']).content)['application/json']).schema, { $ref: '#/components/schemas/com.example.v1.WidgetList' });
    assert.deepEqual(obj(obj(obj(obj(item.delete).responses)['200']).content)['application/json'], { schema: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status' } });
    const del = obj(obj(obj(doc.paths)[`${NS}/{name}`]).delete);
    assert.equal(obj(del.requestBody).required, undefined);
    assert.deepEqual(obj(obj(del.requestBody).content)['application/json'], { schema: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions' } });
    const scale = obj(obj(doc.paths)[`${NS}/{name}/scale`]);
    assert.deepEqual(obj(obj(obj(obj(scale.get).responses)['200']).content)['application/json'], { schema: { $ref: '#/components/schemas/io.k8s.api.autoscaling.v1.Scale' } });
    assert.deepEqual(obj(obj(obj(scale.put).requestBody).content)['application/json'], { schema: { $ref: '#/components/schemas/io.k8s.api.autoscaling.v1.Scale' } });
    const status = obj(obj(doc.paths)[`${NS}/{name}/status`]);
    assert.deepEqual(obj(obj(obj(obj(status.get).responses)['200']).content)['application/json'], { schema: { $ref: '#/components/schemas/com.example.v1.Widget' } });
  });

  it('resolves every $ref inside the document, with the meta types copied from the built-in documents', () => {
    for (const r of refs(doc)) {
      assert.ok(r.startsWith('#/components/schemas/'), r);
      assert.ok(schemas[r.slice('#/components/schemas/'.length)], `unresolved ${r}`);
    }
    for (const name of ['ObjectMeta', 'ListMeta', 'Status', 'DeleteOptions', 'Patch', 'ManagedFieldsEntry', 'OwnerReference', 'Time', 'FieldsV1', 'Preconditions', 'StatusDetails', 'StatusCause']) {
      assert.ok(schemas[`io.k8s.apimachinery.pkg.apis.meta.v1.${name}`], name);
    }
    assert.ok(schemas['io.k8s.api.autoscaling.v1.Scale'] && schemas['io.k8s.api.autoscaling.v1.ScaleSpec']);
    const apps = JSON.parse(openapiV3Document('apis/apps/v1')!.body.toString('utf8')) as JsonObject;
    const builtin = obj(obj(apps.components).schemas);
    for (const name of ['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'io.k8s.apimachinery.pkg.apis.meta.v1.Status', 'io.k8s.api.autoscaling.v1.Scale']) {
      assert.deepEqual(schemas[name], builtin[name], name);
    }
    assert.deepEqual(Object.keys(schemas), [...Object.keys(schemas)].sort());
  });

  it('publishes the kind with apiVersion, kind, metadata, the GVK and the CRD\'s own words', () => {
    const w = obj(schemas['com.example.v1.Widget']);
    assert.equal(w.description, 'Widget is a made-up resource that the tests publish.');
    assert.deepEqual(w['x-kubernetes-group-version-kind'], [GVK]);
    assert.deepEqual(w['x-kubernetes-selectable-fields'], [{ fieldPath: 'spec.color' }]);
    assert.deepEqual(w.required, ['spec']);
    const props = obj(w.properties);
    assert.deepEqual(Object.keys(props), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    assert.deepEqual(props.apiVersion, { type: 'string' });
    assert.deepEqual(props.metadata, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' });
    const spec = obj(props.spec);
    assert.equal(spec.description, 'WidgetSpec says what the widget should look like.');
    assert.deepEqual(spec['x-kubernetes-validations'], [{ rule: 'self.replicas <= 10', message: 'at most 10 replicas' }]);
    const sp = obj(spec.properties);
    // int-or-string unfolds into anyOf, at any depth
    assert.deepEqual(obj(sp.size).anyOf, [{ type: 'integer' }, { type: 'string' }]);
    assert.equal(obj(sp.size)['x-kubernetes-int-or-string'], true);
    assert.deepEqual(obj(obj(sp.limits).additionalProperties).anyOf, [{ type: 'integer' }, { type: 'string' }]);
    // what a structural schema keeps, and only that
    assert.deepEqual(sp.color, { description: 'The paint.', type: 'string', enum: ['red', 'green', 'blue'] });
    assert.deepEqual(sp.replicas, { description: 'How many copies to make.', type: 'integer', format: 'int32', default: 1, minimum: 0 });
    assert.deepEqual(obj(obj(obj(obj(sp.ports).items).properties).port), { type: 'integer', format: 'int32', maximum: 65535 });
    assert.deepEqual(obj(sp.ports)['x-kubernetes-list-map-keys'], ['name']);
    assert.equal(obj(sp.note).nullable, true);
    assert.equal(obj(sp.choice).oneOf !== undefined, true);
    assert.deepEqual(obj(sp.config).properties, { mode: { type: 'string' } });
    // an embedded resource gets apiVersion, kind and metadata, and requires kind and apiVersion
    const template = obj(sp.template);
    assert.deepEqual(Object.keys(obj(template.properties)), ['apiVersion', 'kind', 'metadata']);
    assert.deepEqual(template.required, ['kind', 'apiVersion']);
    const list = obj(schemas['com.example.v1.WidgetList']);
    assert.deepEqual(list['x-kubernetes-group-version-kind'], [{ ...GVK, kind: 'WidgetList' }]);
    assert.deepEqual(list.required, ['items']);
    assert.deepEqual(obj(list.properties).items, { type: 'array', items: { $ref: '#/components/schemas/com.example.v1.Widget' } });
    assert.deepEqual(obj(list.properties).metadata, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta' });
  });

  it('builds each version from its own schema and subresources', () => {
    const beta = crdOpenAPIV3(widgetCRD(), 'v1beta1');
    assert.deepEqual(Object.keys(obj(beta.paths)).sort(), [
      '/apis/example.com/v1beta1/namespaces/{namespace}/widgets', '/apis/example.com/v1beta1/namespaces/{namespace}/widgets/{name}',
      '/apis/example.com/v1beta1/widgets',
    ]);
    const w = obj(obj(obj(beta.components).schemas)['com.example.v1beta1.Widget']);
    assert.deepEqual(w['x-kubernetes-group-version-kind'], [{ ...GVK, version: 'v1beta1' }]);
    assert.equal(w['x-kubernetes-selectable-fields'], undefined);
    assert.deepEqual(obj(obj(obj(obj(w.properties).spec).properties).size), { description: 'Size, as text.', type: 'string' });
    assert.ok(!obj(obj(beta.components).schemas)['io.k8s.api.autoscaling.v1.Scale']);
    assert.throws(() => crdOpenAPIV3(widgetCRD(), 'v9'), /no version/);
  });

  it('names cluster-scoped operations without Namespaced and keeps a root that preserves unknown fields', () => {
    const g = crdOpenAPIV3(gadgetCRD(), 'v1');
    assert.deepEqual(Object.keys(obj(g.paths)), ['/apis/example.com/v1/gadgets', '/apis/example.com/v1/gadgets/{name}']);
    const ids = operations(g).map(([, , op]) => op.operationId).sort();
    assert.deepEqual(ids, [
      'createExampleComV1Gadget', 'deleteExampleComV1CollectionGadget', 'deleteExampleComV1Gadget', 'listExampleComV1Gadget',
      'patchExampleComV1Gadget', 'readExampleComV1Gadget', 'replaceExampleComV1Gadget',
    ]);
    assert.deepEqual(paramNames(obj(obj(g.paths)['/apis/example.com/v1/gadgets/{name}']).parameters), ['name', 'pretty']);
    const schema = obj(obj(obj(g.components).schemas)['com.example.v1.Gadget']);
    assert.equal(schema['x-kubernetes-preserve-unknown-fields'], true);
    assert.deepEqual(Object.keys(obj(schema.properties)), ['apiVersion', 'kind', 'metadata']);
  });

  it('names definitions the way kube-apiserver does', () => {
    assert.equal(crdModelName('example.com', 'v1', 'Widget'), 'com.example.v1.Widget');
    assert.equal(crdModelName('cert-manager.io', 'v1', 'Certificate'), 'io.cert-manager.v1.Certificate');
    assert.equal(crdModelName('snapshot.storage.k8s.io', 'v1', 'VolumeSnapshot'), 'io.k8s.storage.snapshot.v1.VolumeSnapshot');
  });

  it('takes the option parameters the built-in kinds take', () => {
    const builtin = builtinSwaggerDocument();
    const names = (path: string, method: string): string[] => {
      const item = builtin.paths[path]!;
      const ps = [...(Array.isArray(item.parameters) ? item.parameters : []), ...(Array.isArray(obj(item[method]).parameters) ? obj(item[method]).parameters as Json[] : [])];
      return ps.map((p) => {
        const ref = obj(p).$ref;
        return typeof ref === 'string' ? builtin.parameters![ref.split('/').pop()!]! : obj(p);
      }).filter((p) => p.in === 'query' && p.name !== 'pretty').map((p) => String(p.name)).sort();
    };
    const ours = (action: string): string[] => CUSTOM_RESOURCE_OPTIONS[action]!.map((p) => p.name).sort();
    assert.deepEqual(ours('list'), names('/apis/apps/v1/namespaces/{namespace}/deployments', 'get'));
    assert.deepEqual(ours('post'), names('/apis/apps/v1/namespaces/{namespace}/deployments', 'post'));
    assert.deepEqual(ours('put'), names('/apis/apps/v1/namespaces/{namespace}/deployments/{name}', 'put'));
    assert.deepEqual(ours('patch'), names('/apis/apps/v1/namespaces/{namespace}/deployments/{name}', 'patch'));
    assert.deepEqual(ours('delete'), names('/apis/apps/v1/namespaces/{namespace}/deployments/{name}', 'delete'));
  });
});

describe('mergeV3Documents', () => {
  it('combines CRDs of one group/version into one document whose references resolve', () => {
    const merged = mergeV3Documents([crdOpenAPIV3(widgetCRD(), 'v1'), crdOpenAPIV3(gadgetCRD(), 'v1')]);
    const schemas = obj(obj(merged.components).schemas);
    assert.ok(schemas['com.example.v1.Widget'] && schemas['com.example.v1.Gadget'] && schemas['com.example.v1.GadgetList']);
    assert.ok(obj(merged.paths)['/apis/example.com/v1/gadgets'] && obj(merged.paths)['/apis/example.com/v1/widgets']);
    assert.deepEqual(Object.keys(obj(merged.paths)), [...Object.keys(obj(merged.paths))].sort());
    for (const r of refs(merged)) assert.ok(schemas[r.slice('#/components/schemas/'.length)], r);
    assert.deepEqual(merged.info, { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' });
  });
});

describe('crdOpenAPIV2Definitions', () => {
  const v2 = crdOpenAPIV2Definitions(widgetCRD(), 'v1');
  const w = v2.definitions['com.example.v1.Widget']!;
  const spec = obj(obj(w.properties).spec);
  const sp = obj(spec.properties);

  it('drops what swagger 2.0 cannot say', () => {
    for (const [k, path, val] of walk(w)) {
      assert.ok(!['anyOf', 'allOf', 'oneOf', 'not', 'nullable', 'default'].includes(k) || path.includes('.properties.' + k), `${path}`);
      if (k === '$ref') assert.ok(String(val).startsWith('#/definitions/'), path);
    }
    assert.deepEqual(sp.size, { description: 'How big the widget is: a count of units or a quantity such as 10Gi.', 'x-kubernetes-int-or-string': true });
    assert.deepEqual(sp.note, {});
    assert.deepEqual(sp.owner, {});
    assert.deepEqual(sp.config, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    // an embedded resource that keeps unknown fields gets no apiVersion/kind/metadata in v2
    assert.deepEqual(sp.template, {
      description: 'An object the widget creates.', type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true,
    });
    assert.deepEqual(obj(obj(obj(sp.ports).items).properties).protocol, { type: 'string' });
    assert.deepEqual(sp.replicas, { description: 'How many copies to make.', type: 'integer', format: 'int32', minimum: 0 });
    assert.deepEqual(obj(w.properties).metadata, { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' });
    assert.deepEqual(w['x-kubernetes-group-version-kind'], [GVK]);
  });

  it('keeps required fields unless they became nullable, and drops types of arrays without items', () => {
    const crd = widgetCRD() as { spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: Record<string, JsonObject> } } }> } };
    const specSchema = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec!;
    specSchema.required = ['size', 'note', 'owner'];
    obj(specSchema.properties).bag = { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
    obj(specSchema.properties).loose = { type: 'array', 'x-kubernetes-preserve-unknown-fields': true, items: { type: 'string' } };
    const out = obj(obj(crdOpenAPIV2Definitions(crd, 'v1').definitions['com.example.v1.Widget']!.properties).spec);
    assert.deepEqual(out.required, ['size']);
    assert.deepEqual(obj(out.properties).bag, { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } });
    assert.deepEqual(obj(out.properties).loose, { 'x-kubernetes-preserve-unknown-fields': true });
    const v3 = obj(obj(obj(obj(obj(crdOpenAPIV3(crd, 'v1').components).schemas)['com.example.v1.Widget']).properties).spec);
    assert.deepEqual(v3.required, ['size', 'note', 'owner']);
  });

  it('publishes a root that preserves unknown fields as a bare object', () => {
    const g = crdOpenAPIV2Definitions(gadgetCRD(), 'v1');
    assert.deepEqual(g.definitions['com.example.v1.Gadget'], { type: 'object', 'x-kubernetes-group-version-kind': [{ ...GVK, kind: 'Gadget' }] });
    const crd = widgetCRD() as { spec: Record<string, unknown> };
    crd.spec.preserveUnknownFields = true;
    assert.deepEqual(Object.keys(crdOpenAPIV2Definitions(crd, 'v1').definitions['com.example.v1.Widget']!),
      ['type', 'x-kubernetes-group-version-kind', 'x-kubernetes-selectable-fields']);
  });

  it('has paths with inline fieldValidation on PATCH and references that resolve among its definitions and the built-in ones', () => {
    const patch = obj(v2.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}']!.patch);
    assert.deepEqual(patch.consumes, CUSTOM_RESOURCE_PATCH_TYPES);
    assert.deepEqual(patch.produces, ['application/json', 'application/yaml']);
    assert.deepEqual(patch.schemes, ['https']);
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], GVK);
    const ps = (patch.parameters as Json[]).map(obj);
    assert.deepEqual(ps[0], { in: 'body', name: 'body', required: true, schema: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } });
    assert.deepEqual(ps.find((p) => p.name === 'fieldValidation'), { in: 'query', name: 'fieldValidation', type: 'string', uniqueItems: true });
    for (const r of refs({ paths: v2.paths, definitions: v2.definitions } as unknown as Json)) {
      assert.ok(r.startsWith('#/definitions/') && v2.definitions[r.slice('#/definitions/'.length)], r);
    }
    const builtin = builtinSwaggerDocument().definitions;
    assert.equal(v2.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'], builtin['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  });
});

describe('publishing', () => {
  const SERVED = ['v1', 'apps/v1'];

  it('crdDocumentsFor: one document per served group/version of the Established CRDs, the same Map while nothing changes', () => {
    const crds = [widgetCRD(), gadgetCRD()];
    const docs = crdDocumentsFor(crds);
    assert.deepEqual([...docs.keys()], ['apis/example.com/v1', 'apis/example.com/v1beta1']);
    const v1 = JSON.parse(docs.get('apis/example.com/v1')!.body.toString('utf8')) as JsonObject;
    assert.ok(obj(obj(v1.components).schemas)['com.example.v1.Gadget'] && obj(obj(v1.components).schemas)['com.example.v1.Widget']);
    assert.deepEqual(v1, mergeV3Documents([crdOpenAPIV3(gadgetCRD(), 'v1'), crdOpenAPIV3(widgetCRD(), 'v1')]));
    // same objects, a new array, another order: the same Map
    assert.equal(crdDocumentsFor([...crds]), docs);
    assert.equal(crdDocumentsFor([crds[1]!, crds[0]!]), docs);
    // equal objects (same uid/resourceVersion): the same Map
    assert.equal(crdDocumentsFor([widgetCRD(), gadgetCRD()]), docs);
    const start = performance.now();
    for (let i = 0; i < 1000; i++) crdDocumentsFor(crds);
    assert.ok(performance.now() - start < 100, 'unchanged input is answered from the cache');
  });

  it('crdDocumentsFor: stable bytes, rebuilt only where a CRD changed, Established only', () => {
    const widget = widgetCRD();
    const gadget = gadgetCRD();
    const docs = crdDocumentsFor([widget, gadget]);
    // the same content without resourceVersions, or after a status-only update: the same documents
    const anon = [widgetCRD(), gadgetCRD()].map((c) => {
      delete (c.metadata as Record<string, unknown>).resourceVersion;
      return c;
    });
    assert.equal(crdDocumentsFor(anon), docs);
    const statusOnly = widgetCRD();
    (statusOnly.metadata as Record<string, unknown>).resourceVersion = '99';
    (statusOnly.status as Record<string, unknown>).storedVersions = ['v1', 'v1beta1'];
    assert.equal(crdDocumentsFor([gadget, statusOnly]), docs);
    // built from scratch (other content, then back): the same bytes and hash
    const copy = widgetCRD();
    (copy.spec as Record<string, unknown>).extra = 1; // not read, but part of the spec
    (copy.metadata as Record<string, unknown>).resourceVersion = '100';
    const fresh = crdDocumentsFor([copy, gadget]);
    assert.notEqual(fresh, docs);
    for (const [k, d] of docs) assert.equal(fresh.get(k)!.hash, d.hash, k);
    // a changed gadget changes only example.com/v1
    const gadget2 = gadgetCRD();
    (gadget2.metadata as Record<string, unknown>).resourceVersion = '44';
    (gadget2.spec as { names: Record<string, string> }).names.shortNames = 'gd' as never;
    const versions = (gadget2.spec as { versions: Array<Record<string, unknown>> }).versions;
    versions[0]!.schema = { openAPIV3Schema: { type: 'object', description: 'Gadget, described.' } };
    const changed = crdDocumentsFor([widget, gadget2]);
    assert.notEqual(changed.get('apis/example.com/v1')!.hash, docs.get('apis/example.com/v1')!.hash);
    assert.equal(changed.get('apis/example.com/v1beta1'), docs.get('apis/example.com/v1beta1'));
    // not Established: not published
    const pending = widgetCRD();
    (pending.metadata as Record<string, unknown>).resourceVersion = '7';
    pending.status = { conditions: [{ type: 'NamesAccepted', status: 'False' }, { type: 'Established', status: 'False' }] };
    assert.equal(isEstablished(pending), false);
    assert.deepEqual([...crdDocumentsFor([pending]).keys()], []);
    assert.deepEqual([...crdDocumentsFor([]).keys()], []);
  });

  it('openapiV2WithCRDs: the built-in document plus the CRDs, JSON and protobuf, cached', () => {
    const crds = [widgetCRD(), gadgetCRD()];
    const v2 = openapiV2WithCRDs(SERVED, crds);
    assert.equal(openapiV2WithCRDs([...SERVED].reverse(), [widgetCRD(), gadgetCRD()]), v2);
    const doc = v2.document;
    assert.ok(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments']);
    assert.ok(doc.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/scale']);
    assert.ok(doc.paths['/apis/example.com/v1beta1/widgets']);
    assert.ok(!Object.keys(doc.paths).some((p) => p.includes('v1alpha1')), 'versions that are not served are not published');
    for (const name of ['com.example.v1.Widget', 'com.example.v1.WidgetList', 'com.example.v1beta1.Widget', 'com.example.v1.Gadget']) assert.ok(doc.definitions[name], name);
    for (const r of refs(doc as unknown as Json)) {
      if (r.startsWith('#/definitions/')) assert.ok(doc.definitions[r.slice('#/definitions/'.length)], r);
      else assert.ok(doc.parameters?.[r.slice('#/parameters/'.length)], r);
    }
    const json = v2.json();
    assert.equal(v2.json(), json);
    assert.deepEqual(JSON.parse(json.body.toString('utf8')), JSON.parse(JSON.stringify(doc)));
    assert.match(json.etag, /^"[0-9A-F]{128}"$/);
    const pb = v2.protobuf();
    assert.equal(v2.protobuf(), pb);
    const definitions = readFields(pb.body).find((f) => f.field === 9)!;
    const names = readFields(definitions.bytes!).map((f) => fieldString(readFields(f.bytes!).find((x) => x.field === 1)!));
    assert.ok(names.includes('com.example.v1.Widget') && names.includes('io.k8s.api.apps.v1.Deployment'));
    // without published CRDs: exactly the built-in document
    assert.equal(openapiV2WithCRDs(SERVED, []).json(), openapiV2Json(SERVED));
  });

  it('serveOpenAPI publishes the CRDs given in `crds` (v3 root, documents, v2)', async () => {
    const crds = [widgetCRD(), gadgetCRD()];
    const extraV3 = new Map([['apis/example.com/v1beta1', makeV3Document({ openapi: '3.0.0', paths: {}, components: { schemas: {} } })]]);
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (!serveOpenAPI(url.pathname, url.searchParams, req, res, SERVED, { crds, extraV3 })) {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const root = (await (await fetch(`${base}/openapi/v3`)).json()) as { paths: Record<string, { serverRelativeURL: string }> };
      assert.deepEqual(Object.keys(root.paths).filter((p) => p.includes('example.com')), ['apis/example.com/v1', 'apis/example.com/v1beta1']);
      const docs = crdDocumentsFor(crds);
      assert.equal(root.paths['apis/example.com/v1']!.serverRelativeURL, `/openapi/v3/apis/example.com/v1?hash=${docs.get('apis/example.com/v1')!.hash}`);
      const r = await fetch(base + root.paths['apis/example.com/v1']!.serverRelativeURL);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('cache-control'), 'public, immutable');
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), docs.get('apis/example.com/v1')!.body);
      // an explicit extra document wins its path
      assert.equal(root.paths['apis/example.com/v1beta1']!.serverRelativeURL, `/openapi/v3/apis/example.com/v1beta1?hash=${extraV3.get('apis/example.com/v1beta1')!.hash}`);
      const v2 = await fetch(`${base}/openapi/v2`, { headers: { Accept: 'application/json' } });
      assert.equal(v2.status, 200);
      const body = (await v2.json()) as { definitions: Record<string, unknown> };
      assert.ok(body.definitions['com.example.v1.Widget']);
      const pb = await fetch(`${base}/openapi/v2`, { headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
      assert.equal(pb.status, 200);
      assert.deepEqual(Buffer.from(await pb.arrayBuffer()), Buffer.from(openapiV2WithCRDs(SERVED, crds).protobuf().body));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
