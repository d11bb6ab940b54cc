import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { documentOfPath, documentPathOf, filterSwagger, schemaToV3, stripProse, toV3Document } from './derive.ts';
import type { Json, JsonObject, SwaggerDoc } from './derive.ts';
import { generatedDir } from './files.ts';
import {
  builtinDocumentPaths, builtinGroupVersionPaths, makeV3Document, openapiV2Json, openapiV3Document, openapiV3Root,
} from './index.ts';

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

const REQUIRED_GVS = [
  'v1', 'apps/v1', 'batch/v1', 'autoscaling/v1', 'autoscaling/v2', 'policy/v1', 'rbac.authorization.k8s.io/v1',
  'coordination.k8s.io/v1', 'discovery.k8s.io/v1', 'networking.k8s.io/v1', 'storage.k8s.io/v1', 'scheduling.k8s.io/v1',
  'events.k8s.io/v1', 'node.k8s.io/v1', 'admissionregistration.k8s.io/v1', 'certificates.k8s.io/v1',
  'flowcontrol.apiserver.k8s.io/v1', 'authentication.k8s.io/v1', 'authorization.k8s.io/v1', 'resource.k8s.io/v1',
  'apiextensions.k8s.io/v1', 'apiregistration.k8s.io/v1',
];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

function readV2(): SwaggerDoc {
  return JSON.parse(readFileSync(new URL('v2.json', generatedDir), 'utf8')) as SwaggerDoc;
}

function parseDoc(path: string): JsonObject {
  const doc = openapiV3Document(path);
  assert.ok(doc, `document ${path} exists`);
  return JSON.parse(doc.body.toString('utf8')) as JsonObject;
}

/** Every value under the key `key` anywhere in `v`, with the JSON path that leads to it. */
function* walk(v: Json, path = '$'): Generator<[string, string, Json]> {
  if (Array.isArray(v)) { for (let i = 0; i < v.length; i++) yield* walk(v[i]!, `${path}[${i}]`); return; }
  if (v === null || typeof v !== 'object') return;
  for (const [k, val] of Object.entries(v)) {
    yield [k, `${path}.${k}`, val];
    yield* walk(val, `${path}.${k}`);
  }
}

function obj(v: Json | undefined): JsonObject {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), 'expected an object');
  return v as JsonObject;
}

describe('generated v3 documents', () => {
  it('cover every required group/version', () => {
    const have = new Set(builtinGroupVersionPaths());
    for (const gv of REQUIRED_GVS) assert.ok(have.has(documentPathOf(gv)), `missing ${gv}`);
  });

  for (const path of ['api', 'apis', 'version', ...REQUIRED_GVS.map(documentPathOf)]) {
    it(`${path}: parses, and every $ref resolves inside it`, () => {
      const doc = parseDoc(path);
      assert.equal(doc.openapi, '3.0.0');
      assert.equal(obj(doc.info).title, 'Kubernetes');
      const paths = obj(doc.paths);
      assert.ok(Object.keys(paths).length > 0);
      for (const p of Object.keys(paths)) assert.equal(documentOfPath(p), path, `${p} belongs to ${path}`);
      const schemas = obj(obj(doc.components).schemas);
      let refs = 0;
      for (const [k, where, v] of walk(doc)) {
        if (k === '$ref' && typeof v === 'string') {
          refs++;
          assert.ok(v.startsWith('#/components/schemas/'), `${where}: ${v}`);
          assert.ok(schemas[v.slice('#/components/schemas/'.length)], `${where}: ${v} does not resolve`);
        }
        if (k === 'description' && typeof v === 'string') assert.equal(v, '', `${where} keeps prose`);
      }
      assert.ok(refs > 0);
      // Every schema is reachable from the paths: nothing unused is shipped.
      assert.ok(Object.keys(schemas).length > 0);
    });
  }

  for (const gv of REQUIRED_GVS) {
    it(`${gv}: every patch operation carries GVK, fieldValidation and the four patch types; each kind has its schema`, () => {
      const doc = parseDoc(documentPathOf(gv));
      const schemas = obj(obj(doc.components).schemas);
      const kindsWithSchema = new Set<string>();
      for (const s of Object.values(schemas)) {
        const gvks = obj(s)['x-kubernetes-group-version-kind'];
        if (Array.isArray(gvks)) for (const g of gvks) kindsWithSchema.add(JSON.stringify(g));
      }
      const [group, version] = gv.includes('/') ? gv.split('/') as [string, string] : ['', gv];
      let patches = 0;
      for (const [p, item] of Object.entries(obj(doc.paths))) {
        const op = obj(item).patch;
        // Proxy paths also have PATCH, as a connect action: not a resource update.
        if (op === undefined || obj(op)['x-kubernetes-action'] !== 'patch') continue;
        patches++;
        const o = obj(op);
        const gvk = obj(o['x-kubernetes-group-version-kind']);
        if (!p.endsWith('/status') && !p.endsWith('/scale') && !p.includes('/ephemeralcontainers') && !p.includes('/resize')) {
          assert.equal(gvk.group, group, p);
          assert.equal(gvk.version, version, p);
        }
        assert.ok(kindsWithSchema.has(JSON.stringify({ group: gvk.group, kind: gvk.kind, version: gvk.version })),
          `${p}: no schema with GVK ${JSON.stringify(gvk)}`);
        const params = (o.parameters as JsonObject[]).filter((x) => x.in === 'query').map((x) => x.name);
        assert.ok(params.includes('fieldValidation'), `${p}: fieldValidation`);
        assert.ok(params.includes('fieldManager'), `${p}: fieldManager`);
        const content = Object.keys(obj(obj(o.requestBody).content));
        for (const t of PATCH_TYPES) assert.ok(content.includes(t), `${p}: ${t}`);
        assert.equal(obj(o.requestBody).required, true);
      }
      // Review-only groups (authentication, authorization) have no patchable resources.
      if (!gv.startsWith('authentication.') && !gv.startsWith('authorization.')) assert.ok(patches > 0, `${gv} has patch operations`);
    });
  }

  it('keeps the strategic-merge metadata kubectl computes apply patches from', () => {
    const doc = parseDoc('apis/apps/v1');
    const schemas = obj(obj(doc.components).schemas);
    const deref = (s: JsonObject): JsonObject => {
      const ref = (s.$ref ?? (Array.isArray(s.allOf) ? obj(s.allOf[0]).$ref : undefined)) as string | undefined;
      return ref ? obj(schemas[ref.replace('#/components/schemas/', '')]) : s;
    };
    let s = obj(schemas['io.k8s.api.apps.v1.Deployment']);
    assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    for (const f of ['spec', 'template', 'spec']) s = deref(obj(obj(s.properties)[f]));
    const containers = obj(obj(s.properties).containers);
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(containers['x-kubernetes-list-type'], 'map');
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
    const container = deref(obj(containers.items));
    assert.deepEqual(container.required, ['name']);
    const ports = obj(obj(container.properties).ports);
    assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
    // Types, formats and required survive (the 1.36 document carries no enum or default values for these).
    const port = deref(obj(ports.items));
    assert.deepEqual(obj(port.properties).containerPort, { format: 'int32', type: 'integer' });
    assert.deepEqual(port.required, ['containerPort']);
    assert.equal(obj(obj(container.properties).terminationMessagePath).type, 'string');
  });

  it('paths keep their operations and v3 parameters', () => {
    const doc = parseDoc('api/v1');
    const item = obj(obj(doc.paths)['/api/v1/namespaces/{namespace}/pods/{name}']);
    for (const m of ['get', 'put', 'patch', 'delete']) assert.ok(item[m], m);
    const pathParams = (item.parameters as JsonObject[]).map((p) => `${p.in}:${p.name}`);
    assert.deepEqual(pathParams.sort(), ['path:name', 'path:namespace', 'query:pretty']);
    for (const p of item.parameters as JsonObject[]) {
      assert.equal(obj(p.schema).type, 'string');
      assert.equal(p.type, undefined);
    }
    const put = obj(item.put);
    assert.deepEqual(Object.keys(obj(obj(put.requestBody).content)), ['*/*']);
    const ok = obj(obj(put.responses)['200']);
    assert.ok(obj(ok.content)['application/json']);
    assert.equal(put.produces, undefined);
    assert.equal(put.schemes, undefined);
    const del = obj(item.delete);
    assert.equal(obj(del.requestBody).required, undefined);
    const list = obj(obj(obj(doc.paths)['/api/v1/namespaces/{namespace}/pods']).get);
    assert.ok((list.parameters as JsonObject[] | undefined) === undefined || Array.isArray(list.parameters));
    const watchTypes = Object.keys(obj(obj(obj(list.responses)['200']).content));
    assert.ok(watchTypes.includes('application/json;stream=watch'));
  });

  it('are what the derivation produces from v2.json (the generated files are up to date)', () => {
    const v2 = readV2();
    for (const d of ['apis/apps/v1', 'api/v1', 'apis/apps', 'version']) {
      const expected = JSON.stringify(toV3Document(v2, d, { version: String(obj(v2.info as Json).version) }));
      assert.equal(openapiV3Document(d)!.body.toString('utf8'), expected, d);
    }
  });
});

describe('openapiV3Root', () => {
  it('lists served group/versions, their groups, api, apis and version, with the content hash', () => {
    const root = openapiV3Root(['v1', 'apps/v1', 'batch/v1', 'example.com/v1']);
    assert.deepEqual(Object.keys(root.paths), ['api', 'api/v1', 'apis', 'apis/apps', 'apis/apps/v1', 'apis/batch', 'apis/batch/v1', 'version']);
    const doc = openapiV3Document('apis/apps/v1')!;
    assert.match(doc.hash, /^[0-9A-F]{128}$/);
    assert.equal(root.paths['apis/apps/v1']!.serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${doc.hash}`);
    // Stable: the same bytes, the same hash.
    assert.equal(openapiV3Root(['apps/v1']).paths['apis/apps/v1']!.serverRelativeURL, root.paths['apis/apps/v1']!.serverRelativeURL);
  });

  it('accepts the group/version spellings "core/v1", "api/v1", "apis/apps/v1"', () => {
    assert.deepEqual(Object.keys(openapiV3Root(['core/v1', 'apis/apps/v1']).paths),
      Object.keys(openapiV3Root(['v1', 'apps/v1']).paths));
    assert.ok(openapiV3Root(['api/v1']).paths['api/v1']);
  });

  it('hashes change when a document changes', () => {
    const a = makeV3Document({ openapi: '3.0.0', paths: { '/apis/example.com/v1/widgets': {} } });
    const b = makeV3Document({ openapi: '3.0.0', paths: { '/apis/example.com/v1/widgets': {}, '/apis/example.com/v1/gadgets': {} } });
    assert.notEqual(a.hash, b.hash);
    const rootA = openapiV3Root(['apps/v1', 'example.com/v1'], new Map([['apis/example.com/v1', a]]));
    const rootB = openapiV3Root(['apps/v1', 'example.com/v1'], new Map([['apis/example.com/v1', b]]));
    assert.equal(rootA.paths['apis/example.com/v1']!.serverRelativeURL, `/openapi/v3/apis/example.com/v1?hash=${a.hash}`);
    assert.notEqual(rootA.paths['apis/example.com/v1']!.serverRelativeURL, rootB.paths['apis/example.com/v1']!.serverRelativeURL);
    assert.equal(rootA.paths['apis/apps/v1']!.serverRelativeURL, rootB.paths['apis/apps/v1']!.serverRelativeURL);
    // An extra document overrides a built-in one of the same path.
    const override = openapiV3Root(['apps/v1'], new Map([['apis/apps/v1', a]]));
    assert.equal(override.paths['apis/apps/v1']!.serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${a.hash}`);
  });

  it('every built-in document is loadable', () => {
    for (const d of builtinDocumentPaths()) assert.ok(openapiV3Document(d), d);
    assert.equal(openapiV3Document('apis/nope/v1'), undefined);
  });
});

describe('openapi v2 JSON', () => {
  it('is filtered to the served group/versions, with every definition their paths reach', () => {
    const full = JSON.parse(openapiV2Json(REQUIRED_GVS).body.toString('utf8')) as SwaggerDoc;
    const small = JSON.parse(openapiV2Json(['v1', 'apps/v1']).body.toString('utf8')) as SwaggerDoc;
    assert.equal(full.swagger, '2.0');
    assert.ok(Object.keys(full.paths).some((p) => p.startsWith('/apis/batch/v1/')));
    assert.ok(!Object.keys(small.paths).some((p) => p.startsWith('/apis/batch/')));
    assert.ok(Object.keys(small.paths).includes('/apis/apps/v1/namespaces/{namespace}/deployments/{name}'));
    assert.ok(Object.keys(small.paths).includes('/api/v1/namespaces/{namespace}/pods'));
    assert.ok(small.definitions['io.k8s.api.apps.v1.Deployment']);
    assert.equal(small.definitions['io.k8s.api.batch.v1.Job'], undefined);
    for (const doc of [full, small]) {
      for (const [k, where, v] of walk(doc as unknown as Json)) {
        if (k !== '$ref' || typeof v !== 'string') continue;
        if (v.startsWith('#/definitions/')) assert.ok(doc.definitions[v.slice(14)], `${where}: ${v}`);
        else if (v.startsWith('#/parameters/')) assert.ok(doc.parameters?.[v.slice(13)], `${where}: ${v}`);
        else assert.fail(`${where}: unexpected ref ${v}`);
      }
    }
    const etag1 = openapiV2Json(['v1', 'apps/v1']).etag;
    assert.match(etag1, /^"[0-9A-F]{128}"$/);
    assert.equal(openapiV2Json(['apps/v1', 'v1']).etag, etag1);
    assert.notEqual(openapiV2Json(REQUIRED_GVS).etag, etag1);
  });

  it('keeps no prose', () => {
    for (const [k, where, v] of walk(readV2() as unknown as Json)) {
      if (k === 'description' && typeof v === 'string') assert.equal(v, '', where);
    }
  });
});

describe('derive', () => {
  it('stripProse drops description keywords but not properties named description, default or x-…', () => {
    const schema = {
      description: 'prose',
      properties: {
        description: { type: 'string', description: 'more prose' },
        default: { $ref: '#/definitions/JSON', description: 'x' },
        'x-kubernetes-embedded-resource': { type: 'boolean', description: 'y' },
      },
      default: { description: 'literal data stays' },
      'x-kubernetes-validations': [{ rule: 'self > 0', description: 'kept: extension value' }],
    };
    assert.deepEqual(stripProse(schema), {
      properties: {
        description: { type: 'string' },
        default: { $ref: '#/definitions/JSON' },
        'x-kubernetes-embedded-resource': { type: 'boolean' },
      },
      default: { description: 'literal data stays' },
      'x-kubernetes-validations': [{ rule: 'self > 0', description: 'kept: extension value' }],
    });
    assert.deepEqual(stripProse({ responses: { 200: { description: 'OK', schema: { description: 'z' } } } }),
      { responses: { 200: { description: '', schema: {} } } });
  });

  it('schemaToV3 rewrites refs and wraps a $ref that has siblings in allOf', () => {
    assert.deepEqual(schemaToV3({ $ref: '#/definitions/A' }), { $ref: '#/components/schemas/A' });
    assert.deepEqual(schemaToV3({ $ref: '#/definitions/A', 'x-kubernetes-patch-strategy': 'merge' }),
      { allOf: [{ $ref: '#/components/schemas/A' }], 'x-kubernetes-patch-strategy': 'merge' });
    assert.deepEqual(schemaToV3({ properties: { $ref: { type: 'string' } } }), { properties: { $ref: { type: 'string' } } });
  });

  it('documentOfPath and documentPathOf', () => {
    assert.equal(documentOfPath('/api/v1/namespaces/{namespace}/pods'), 'api/v1');
    assert.equal(documentOfPath('/api/'), 'api');
    assert.equal(documentOfPath('/apis/'), 'apis');
    assert.equal(documentOfPath('/apis/apps/'), 'apis/apps');
    assert.equal(documentOfPath('/apis/apps/v1/watch/deployments'), 'apis/apps/v1');
    assert.equal(documentOfPath('/version/'), 'version');
    assert.equal(documentOfPath('/logs/{logpath}'), 'logs');
    assert.equal(documentPathOf('v1'), 'api/v1');
    assert.equal(documentPathOf('core/v1'), 'api/v1');
    assert.equal(documentPathOf('apps/v1'), 'apis/apps/v1');
    assert.equal(documentPathOf('/apis/apps/v1/'), 'apis/apps/v1');
  });

  it('filterSwagger keeps the parameters and definitions of the kept paths only', () => {
    const doc: SwaggerDoc = {
      swagger: '2.0', info: {},
      paths: {
        '/apis/a/v1/xs': { get: { parameters: [{ $ref: '#/parameters/p1' }], responses: { 200: { schema: { $ref: '#/definitions/X' } } } } },
        '/apis/b/v1/ys': { get: { parameters: [{ $ref: '#/parameters/p2' }], responses: { 200: { schema: { $ref: '#/definitions/Y' } } } } },
      },
      definitions: { X: { properties: { m: { $ref: '#/definitions/M' } } }, M: {}, Y: {} },
      parameters: { p1: { in: 'query', name: 'p1' }, p2: { in: 'query', name: 'p2' } },
    };
    const f = filterSwagger(doc, (d) => d === 'apis/a/v1');
    assert.deepEqual(Object.keys(f.paths), ['/apis/a/v1/xs']);
    assert.deepEqual(Object.keys(f.definitions).sort(), ['M', 'X']);
    assert.deepEqual(Object.keys(f.parameters!), ['p1']);
  });

  it('every method of a path survives into v3', () => {
    const v2 = readV2();
    const v3 = parseDoc('apis/apps/v1');
    for (const [p, item] of Object.entries(v2.paths)) {
      if (documentOfPath(p) !== 'apis/apps/v1') continue;
      const got = obj(obj(v3.paths)[p]);
      for (const m of METHODS) assert.equal(m in got, m in item, `${p} ${m}`);
    }
  });
});
