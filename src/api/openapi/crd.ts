// The OpenAPI of custom resources, built from CustomResourceDefinitions the way
// kube-apiserver's apiextensions OpenAPI controllers publish them:
//
//   /openapi/v3/apis/<group>/<version>   one document per group/version, merging every
//                                        Established CRD that serves that version
//   /openapi/v2                          the built-in document plus, for each served
//                                        version, its paths and definitions
//
// For one CRD version:
// - The kind's schema (named like com.example.v1.Widget) is the version's
//   openAPIV3Schema restricted to what a structural schema keeps, with
//   x-kubernetes-int-or-string unfolded into anyOf [integer, string], with
//   apiVersion, kind and metadata (a reference to ObjectMeta) added at the root and
//   under every x-kubernetes-embedded-resource, and with
//   x-kubernetes-group-version-kind (and x-kubernetes-selectable-fields when the
//   version declares selectableFields). <Kind>List wraps it with ListMeta.
// - Paths: list (and list across namespaces), create, deletecollection, read,
//   replace, delete, patch, and the same for the status and scale subresources when
//   declared. There are no /watch/ paths: watching is the list operation's `watch`
//   parameter. Every operation carries x-kubernetes-group-version-kind of the custom
//   resource (the scale subresource's too) and x-kubernetes-action. PATCH accepts
//   json-patch, merge-patch and apply-patch, never strategic-merge-patch: custom
//   resources have no patch strategies. PUT, POST and PATCH take fieldValidation.
// - v2 keeps only what swagger 2.0 and kubectl's v2 reader can take: junctors
//   (allOf/anyOf/oneOf/not) and defaults are dropped, a nullable field loses its
//   type and children, x-kubernetes-preserve-unknown-fields drops the children, an
//   array without items loses its type, and a root that preserves unknown fields is
//   published as a bare object.
// - Meta types (ObjectMeta, ListMeta, Status, DeleteOptions, Patch, autoscaling/v1
//   Scale and all they reference) are copied from the built-in generated document.
//   Descriptions are the CRD's own (the user's text); nothing else carries prose,
//   like the built-in documents.

import type { Json, JsonObject, SwaggerDoc } from './derive.ts';
import { collectRefs, definitionClosure, isObject, schemaToV3 } from './derive.ts';
import type { Encoded } from './v2.ts';
import { builtinSwaggerDocument, openapiV2Document, openapiV2Json, openapiV2Protobuf } from './v2.ts';
import { encodeSwaggerDocument } from './v2-proto.ts';
import type { V3Document } from './v3.ts';
import { contentHash, makeV3Document } from './v3.ts';

const DEF = '#/definitions/';
const V3_SCHEMAS = '#/components/schemas/';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const OBJECT_META = `${META}ObjectMeta`;
const LIST_META = `${META}ListMeta`;
const STATUS = `${META}Status`;
const PATCH = `${META}Patch`;
const DELETE_OPTIONS = `${META}DeleteOptions`;
const SCALE = 'io.k8s.api.autoscaling.v1.Scale';

/** The request body media types of a custom resource's PATCH (no strategic merge patch). */
export const CUSTOM_RESOURCE_PATCH_TYPES: readonly string[] = [
  'application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml',
];
const BODY_TYPES: readonly string[] = ['application/json', 'application/yaml'];
const PRODUCES: readonly string[] = ['application/json', 'application/yaml'];

/** info of every CRD document (kube-apiserver's value). */
const INFO: JsonObject = { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' };

// ---------------------------------------------------------------------------
// Reading a CRD

interface CRDVersion {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  namespaced: boolean;
  schema: JsonObject | undefined;
  status: boolean;
  scale: boolean;
  /** selectableFields[].jsonPath without the leading dot. */
  selectableFields: string[];
  preserveUnknownFields: boolean;
}

const asObject = (v: Json | undefined): JsonObject => (isObject(v) ? v : {});
const asString = (v: Json | undefined): string => (typeof v === 'string' ? v : '');

function crdVersion(crd: object, version: string): CRDVersion {
  const c = crd as JsonObject;
  const spec = asObject(c.spec);
  const names = asObject(spec.names);
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  const v = versions.find((x) => x.name === version);
  const name = asString(asObject(c.metadata).name);
  if (!v) throw new Error(`CustomResourceDefinition ${name} has no version ${JSON.stringify(version)}`);
  const group = asString(spec.group);
  const kind = asString(names.kind);
  const plural = asString(names.plural);
  if (!group || !kind || !plural) throw new Error(`CustomResourceDefinition ${name} lacks spec.group, names.kind or names.plural`);
  // v1 keeps the schema and subresources per version; the top-level fields are the v1beta1 shape.
  const schema = asObject(v.schema).openAPIV3Schema ?? asObject(spec.validation).openAPIV3Schema;
  const subresources = asObject(v.subresources ?? spec.subresources);
  const selectable = Array.isArray(v.selectableFields) ? v.selectableFields : [];
  return {
    group,
    version,
    kind,
    listKind: asString(names.listKind) || `${kind}List`,
    plural,
    namespaced: spec.scope !== 'Cluster',
    schema: isObject(schema) ? schema : undefined,
    status: isObject(subresources.status),
    scale: isObject(subresources.scale),
    selectableFields: selectable.filter(isObject).map((f) => asString(f.jsonPath).replace(/^\./, '')).filter((p) => p !== ''),
    preserveUnknownFields: spec.preserveUnknownFields === true,
  };
}

/** The definition name of a custom kind: group reversed, then version and kind ("com.example.v1.Widget"). */
export function crdModelName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

// ---------------------------------------------------------------------------
// Schemas

/** Set an own property even when the name is "__proto__" (property names are user data). */
function put(o: JsonObject, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function sortedMap(m: JsonObject, convert: (v: Json) => Json = (v) => v): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(m).sort()) put(out, k, convert(m[k]!));
  return out;
}

const clone = (v: Json): Json => structuredClone(v);

/** Keywords copied as they are, when present, in this order. */
const PLAIN_KEYWORDS = [
  'description', 'type', 'format', 'title', 'nullable', 'default', 'maximum', 'exclusiveMaximum', 'minimum',
  'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'enum',
  'maxProperties', 'minProperties', 'required',
] as const;
/** Keywords that are omitted unless true (Go's omitempty on a bool). */
const TRUE_ONLY = new Set(['nullable', 'exclusiveMaximum', 'exclusiveMinimum', 'uniqueItems']);
const STRINGS = new Set(['description', 'type', 'format', 'title', 'pattern']);
const NUMBERS = new Set(['maximum', 'minimum', 'maxLength', 'minLength', 'maxItems', 'minItems', 'multipleOf', 'maxProperties', 'minProperties']);
const FLAG_EXTENSIONS = ['x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string'] as const;

const INT_OR_STRING: Json[] = [{ type: 'integer' }, { type: 'string' }];

function isTypeOnly(v: Json | undefined, type: string): boolean {
  return isObject(v) && Object.keys(v).length === 1 && v.type === type;
}

function isIntOrStringAnyOf(v: Json | undefined): boolean {
  return Array.isArray(v) && v.length === 2 && isTypeOnly(v[0], 'integer') && isTypeOnly(v[1], 'string');
}

/**
 * The structural part of a CRD schema node, as kube-apiserver publishes it:
 * unknown keywords (example, $schema, id, definitions, patternProperties, ...)
 * are dropped, properties are sorted, and (outside junctors) int-or-string is
 * unfolded into anyOf [integer, string], or into a first allOf entry when the
 * node already has an anyOf.
 */
function structural(s: Json, nested = false): JsonObject {
  const out: JsonObject = {};
  if (!isObject(s)) return out;
  for (const k of PLAIN_KEYWORDS) {
    const v = s[k];
    if (v === undefined || v === null) continue;
    if (TRUE_ONLY.has(k)) { if (v === true) out[k] = true; continue; }
    if (STRINGS.has(k)) { if (typeof v === 'string' && v !== '') out[k] = v; continue; }
    if (NUMBERS.has(k)) { if (typeof v === 'number') out[k] = v; continue; }
    if (k === 'required') {
      if (Array.isArray(v) && v.length > 0) out[k] = v.filter((x) => typeof x === 'string');
      continue;
    }
    out[k] = clone(v); // default, enum
  }
  if (isObject(s.items)) out.items = structural(s.items);
  let allOf: Json[] | undefined = Array.isArray(s.allOf) && s.allOf.length > 0 ? s.allOf.map((x) => structural(x, true)) : undefined;
  const oneOf = Array.isArray(s.oneOf) && s.oneOf.length > 0 ? s.oneOf.map((x) => structural(x, true)) : undefined;
  let anyOf: Json[] | undefined = Array.isArray(s.anyOf) && s.anyOf.length > 0 ? s.anyOf.map((x) => structural(x, true)) : undefined;
  if (!nested && s['x-kubernetes-int-or-string'] === true && !isIntOrStringAnyOf(anyOf)
    && !(allOf !== undefined && isObject(allOf[0]) && isIntOrStringAnyOf(allOf[0].anyOf))) {
    if (anyOf === undefined) anyOf = clone(INT_OR_STRING) as Json[];
    else allOf = [{ anyOf: clone(INT_OR_STRING) }, ...(allOf ?? [])];
  }
  if (allOf) out.allOf = allOf;
  if (oneOf) out.oneOf = oneOf;
  if (anyOf) out.anyOf = anyOf;
  if (isObject(s.not)) out.not = structural(s.not, true);
  if (isObject(s.properties)) out.properties = sortedMap(s.properties, (p) => structural(p));
  const ap = s.additionalProperties;
  if (typeof ap === 'boolean') out.additionalProperties = ap;
  else if (isObject(ap)) out.additionalProperties = structural(ap);
  if (isObject(s.externalDocs)) out.externalDocs = clone(s.externalDocs);
  for (const k of FLAG_EXTENSIONS) if (s[k] === true) out[k] = true;
  const mapKeys = s['x-kubernetes-list-map-keys'];
  if (Array.isArray(mapKeys) && mapKeys.length > 0) out['x-kubernetes-list-map-keys'] = clone(mapKeys);
  for (const k of ['x-kubernetes-list-type', 'x-kubernetes-map-type'] as const) {
    if (typeof s[k] === 'string') out[k] = s[k];
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === true) out['x-kubernetes-preserve-unknown-fields'] = true;
  const validations = s['x-kubernetes-validations'];
  if (Array.isArray(validations) && validations.length > 0) out['x-kubernetes-validations'] = clone(validations);
  return out;
}

/**
 * A structural schema for swagger 2.0, as kube-apiserver converts it for
 * /openapi/v2 (kubectl 1.27/1.28 read it for explain and validation): no
 * junctors or defaults; a nullable node loses type, items and properties; a node
 * that preserves unknown fields loses items and properties; an array without
 * items loses its type; a nullable property is no longer required, and a node
 * whose additionalProperties is nullable requires nothing.
 */
function toV2(s: JsonObject): JsonObject {
  const nullable = s.nullable === true;
  const dropChildren = nullable || s['x-kubernetes-preserve-unknown-fields'] === true;
  const props = !dropChildren && isObject(s.properties) ? s.properties : undefined;
  const hasItems = !dropChildren && isObject(s.items);
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case 'allOf': case 'anyOf': case 'oneOf': case 'not': case 'default': case 'nullable':
        break;
      case 'type':
        if (!nullable && !(v === 'array' && !hasItems)) out.type = v;
        break;
      case 'items':
        if (hasItems) out.items = toV2(v as JsonObject);
        break;
      case 'properties':
        if (props) out.properties = sortedMap(props, (p) => (isObject(p) ? toV2(p) : p));
        break;
      case 'additionalProperties':
        out.additionalProperties = isObject(v) ? toV2(v) : v;
        break;
      case 'required': {
        if (isObject(s.additionalProperties) && s.additionalProperties.nullable === true) break;
        const req = (v as Json[]).filter((name) => !(props && typeof name === 'string' && isObject(props[name]) && props[name].nullable === true));
        if (req.length > 0) out.required = req;
        break;
      }
      default:
        put(out, k, v);
    }
  }
  return out;
}

const typeMeta = (): JsonObject => ({ type: 'string' });

/** `properties` with apiVersion, kind and metadata (a reference to `metaRef`) set, sorted. */
function withTypeAndObjectMeta(properties: Json | undefined, metaRef: string): JsonObject {
  const props: JsonObject = { ...asObject(properties) };
  put(props, 'apiVersion', typeMeta());
  put(props, 'kind', typeMeta());
  put(props, 'metadata', { $ref: metaRef });
  return sortedMap(props);
}

/** apiVersion, kind and metadata under every x-kubernetes-embedded-resource (not, in v2, where unknown fields are kept). */
function addEmbeddedProperties(s: JsonObject, v2: boolean, objectMetaRef: string): void {
  if (isObject(s.properties)) for (const p of Object.values(s.properties)) if (isObject(p)) addEmbeddedProperties(p, v2, objectMetaRef);
  if (isObject(s.items)) addEmbeddedProperties(s.items, v2, objectMetaRef);
  if (isObject(s.additionalProperties)) addEmbeddedProperties(s.additionalProperties, v2, objectMetaRef);
  if (v2 && s['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (s['x-kubernetes-embedded-resource'] !== true) return;
  s.properties = withTypeAndObjectMeta(s.properties, objectMetaRef);
  const required = Array.isArray(s.required) ? [...s.required] : [];
  if (!required.includes('kind')) required.push('kind');
  if (!required.includes('apiVersion')) required.push('apiVersion');
  s.required = required;
}

function gvkExtension(v: CRDVersion, kind: string): JsonObject {
  return { group: v.group, kind, version: v.version };
}

function selectableFieldsExtension(v: CRDVersion): Json[] {
  return v.selectableFields.map((fieldPath) => ({ fieldPath }));
}

function kindSchema(v: CRDVersion, v2: boolean): JsonObject {
  const prefix = v2 ? DEF : V3_SCHEMAS;
  let s: JsonObject;
  if (!v.schema || (v2 && (v.schema['x-kubernetes-preserve-unknown-fields'] === true || v.preserveUnknownFields))) {
    // Without a schema kubectl must not see a closed set of fields; in v2 an
    // object that keeps unknown fields has to be bare for kubectl's validation.
    s = { type: 'object' };
  } else {
    s = structural(v.schema);
    if (v2) s = toV2(s);
    s.properties = withTypeAndObjectMeta(s.properties, prefix + OBJECT_META);
    addEmbeddedProperties(s, v2, prefix + OBJECT_META);
  }
  s['x-kubernetes-group-version-kind'] = [gvkExtension(v, v.kind)];
  if (v.selectableFields.length > 0) s['x-kubernetes-selectable-fields'] = selectableFieldsExtension(v);
  return s;
}

function listSchema(v: CRDVersion, v2: boolean): JsonObject {
  const prefix = v2 ? DEF : V3_SCHEMAS;
  const s: JsonObject = {
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: typeMeta(),
      items: { type: 'array', items: { $ref: prefix + crdModelName(v.group, v.version, v.kind) } },
      kind: typeMeta(),
      metadata: { $ref: prefix + LIST_META },
    },
    'x-kubernetes-group-version-kind': [gvkExtension(v, v.listKind)],
  };
  if (v.selectableFields.length > 0) s['x-kubernetes-selectable-fields'] = selectableFieldsExtension(v);
  return s;
}

// ---------------------------------------------------------------------------
// Routes

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';
type ParamType = 'string' | 'integer' | 'boolean';

interface Param { name: string; in: 'path' | 'query'; type: ParamType }

interface Route {
  path: string;
  method: Method;
  /** x-kubernetes-action */
  action: string;
  operationId: string;
  tag: string;
  /** The definition the operation returns. */
  returns: string;
  body?: { schema: string; required: boolean };
  params: Param[];
}

const query = (name: string, type: ParamType = 'string'): Param => ({ name, in: 'query', type });

// The query parameters of the option structs of 1.36 (GetOptions, ListOptions, ...).
const GET_OPTIONS = [query('resourceVersion')];
const LIST_OPTIONS = [
  query('allowWatchBookmarks', 'boolean'), query('continue'), query('fieldSelector'), query('labelSelector'),
  query('limit', 'integer'), query('resourceVersion'), query('resourceVersionMatch'), query('sendInitialEvents', 'boolean'),
  query('shardSelector'), query('timeoutSeconds', 'integer'), query('watch', 'boolean'),
];
const CREATE_OPTIONS = [query('dryRun'), query('fieldManager'), query('fieldValidation')];
const UPDATE_OPTIONS = CREATE_OPTIONS;
const PATCH_OPTIONS = [...CREATE_OPTIONS, query('force', 'boolean')];
const DELETE_OPTION_PARAMS = [
  query('dryRun'), query('gracePeriodSeconds', 'integer'),
  query('ignoreStoreReadErrorWithClusterBreakingPotential', 'boolean'), query('orphanDependents', 'boolean'),
  query('propagationPolicy'),
];

/** The query parameters each action takes besides `pretty` (exported for tests). */
export const CUSTOM_RESOURCE_OPTIONS: Readonly<Record<string, readonly Param[]>> = {
  list: LIST_OPTIONS, deletecollection: LIST_OPTIONS, get: GET_OPTIONS, post: CREATE_OPTIONS, put: UPDATE_OPTIONS,
  patch: PATCH_OPTIONS, delete: DELETE_OPTION_PARAMS,
};

/** Letters, '_' and non-leading digits are kept; any other character capitalizes the next letter. */
function toValidOperationID(s: string, capitalizeFirst: boolean): string {
  let out = '';
  let capitalize = capitalizeFirst;
  let i = 0;
  for (const ch of s) {
    if (/\p{L}|_/u.test(ch) || (i > 0 && /\p{Nd}/u.test(ch))) {
      out += capitalize ? ch.toUpperCase() : ch;
      capitalize = false;
    } else {
      capitalize = true;
    }
    i++;
  }
  return out;
}

// The operation verbs, matched as the shortest prefix (so "deletecollection..." is "delete" + "collection...").
const OPERATION_VERBS = ['get', 'log', 'read', 'replace', 'patch', 'delete', 'deletecollection', 'watch', 'connect', 'proxy', 'list', 'create'];

/** kube-apiserver's operation id and tag: the verb, then group and version, then the rest ("listExampleComV1NamespacedWidget", "exampleCom_v1"). */
function operationIDAndTag(operation: string, group: string, version: string): [string, string] {
  let verb = '';
  for (let n = 1; n <= operation.length; n++) {
    if (OPERATION_VERBS.includes(operation.slice(0, n))) { verb = operation.slice(0, n); break; }
  }
  const trimmed = group.endsWith('.k8s.io') ? group.slice(0, -'.k8s.io'.length) : group;
  const prefix = verb + toValidOperationID(trimmed, verb !== '') + toValidOperationID(version, true);
  const tag = `${toValidOperationID(trimmed, false)}_${toValidOperationID(version, false)}`;
  return [prefix + toValidOperationID(operation.slice(verb.length), true), tag];
}

function routesOf(v: CRDVersion): Route[] {
  const kindName = crdModelName(v.group, v.version, v.kind);
  const listName = crdModelName(v.group, v.version, v.listKind);
  const routes: Route[] = [];
  const add = (root: string, sub: string, method: Method, action: string, verb: string, returns: string,
    body?: Route['body'], operationOverride?: string): void => {
    const path = root + sub;
    const subresource = sub.split('/')[2] ?? '';
    const operation = operationOverride
      ?? `${verb}${v.namespaced ? 'Namespaced' : ''}${v.kind}${subresource.charAt(0).toUpperCase()}${subresource.slice(1)}`;
    const [operationId, tag] = operationIDAndTag(operation, v.group, v.version);
    const params: Param[] = [query('pretty'), ...(CUSTOM_RESOURCE_OPTIONS[action] ?? [])];
    if (path.includes('{namespace}')) params.push({ name: 'namespace', in: 'path', type: 'string' });
    if (path.includes('{name}')) params.push({ name: 'name', in: 'path', type: 'string' });
    const route: Route = { path, method, action, operationId, tag, returns, params };
    if (body) route.body = body;
    routes.push(route);
  };
  const base = `/apis/${v.group}/${v.version}`;
  let root = `${base}/${v.plural}`;
  if (v.namespaced) {
    add(root, '', 'get', 'list', 'list', listName, undefined, `list${v.kind}ForAllNamespaces`);
    root = `${base}/namespaces/{namespace}/${v.plural}`;
  }
  add(root, '', 'get', 'list', 'list', listName);
  add(root, '', 'post', 'post', 'create', kindName, { schema: kindName, required: true });
  add(root, '', 'delete', 'deletecollection', 'deletecollection', STATUS);
  add(root, '/{name}', 'get', 'get', 'read', kindName);
  add(root, '/{name}', 'put', 'put', 'replace', kindName, { schema: kindName, required: true });
  add(root, '/{name}', 'delete', 'delete', 'delete', STATUS, { schema: DELETE_OPTIONS, required: false });
  add(root, '/{name}', 'patch', 'patch', 'patch', kindName, { schema: PATCH, required: true });
  if (v.status) {
    add(root, '/{name}/status', 'get', 'get', 'read', kindName);
    add(root, '/{name}/status', 'put', 'put', 'replace', kindName, { schema: kindName, required: true });
    add(root, '/{name}/status', 'patch', 'patch', 'patch', kindName, { schema: PATCH, required: true });
  }
  if (v.scale) {
    add(root, '/{name}/scale', 'get', 'get', 'read', SCALE);
    add(root, '/{name}/scale', 'put', 'put', 'replace', SCALE, { schema: SCALE, required: true });
    add(root, '/{name}/scale', 'patch', 'patch', 'patch', SCALE, { schema: PATCH, required: true });
  }
  return routes;
}

/** Response codes by action, besides 200 and 401. */
const EXTRA_RESPONSES: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  post: [['201', 'Created'], ['202', 'Accepted']],
  delete: [['202', 'Accepted']],
  put: [['201', 'Created']],
};

const byName = (a: Param, b: Param): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.in < b.in ? -1 : a.in > b.in ? 1 : 0);
const paramKey = (p: Param): string => `${p.in}:${p.name}`;

/**
 * Path items from routes: a parameter that every operation of a path takes is
 * written once on the path (as kube-openapi does), the others on the operations;
 * both sorted by name. Paths and methods are sorted.
 */
function pathItems(routes: Route[], operation: (r: Route, params: Param[]) => JsonObject,
  parameter: (p: Param) => JsonObject): JsonObject {
  const byPath = new Map<string, Route[]>();
  for (const r of routes) {
    const list = byPath.get(r.path);
    if (list) list.push(r);
    else byPath.set(r.path, [r]);
  }
  const out: JsonObject = {};
  for (const path of [...byPath.keys()].sort()) {
    const rs = byPath.get(path)!;
    const common = rs[0]!.params.filter((p) => rs.every((r) => r.params.some((q) => paramKey(q) === paramKey(p))));
    const commonKeys = new Set(common.map(paramKey));
    const ops = new Map<string, JsonObject>();
    for (const r of rs) ops.set(r.method, operation(r, r.params.filter((p) => !commonKeys.has(paramKey(p))).sort(byName)));
    const item: JsonObject = {};
    for (const m of [...ops.keys(), 'parameters'].sort()) {
      if (m === 'parameters') item.parameters = [...common].sort(byName).map(parameter);
      else item[m] = ops.get(m)!;
    }
    out[path] = item;
  }
  return out;
}

function responseCodes(r: Route): Array<[string, string]> {
  return [['200', 'OK'], ...(EXTRA_RESPONSES[r.action] ?? [])].sort((a, b) => (a[0] < b[0] ? -1 : 1)) as Array<[string, string]>;
}

function v3Paths(v: CRDVersion, routes: Route[]): JsonObject {
  const content = (types: readonly string[], schema: string): JsonObject => {
    const c: JsonObject = {};
    for (const t of types) c[t] = { schema: { $ref: V3_SCHEMAS + schema } };
    return c;
  };
  const parameter = (p: Param): JsonObject => {
    const out: JsonObject = { in: p.in, name: p.name };
    if (p.in === 'path') out.required = true;
    out.schema = { type: p.type, uniqueItems: true };
    return out;
  };
  return pathItems(routes, (r, params) => {
    const op: JsonObject = { operationId: r.operationId };
    if (params.length > 0) op.parameters = params.map(parameter);
    if (r.body) {
      const requestBody: JsonObject = { content: content(r.method === 'patch' ? CUSTOM_RESOURCE_PATCH_TYPES : BODY_TYPES, r.body.schema) };
      if (r.body.required) requestBody.required = true;
      op.requestBody = requestBody;
    }
    const responses: JsonObject = {};
    for (const [code, text] of responseCodes(r)) responses[code] = { description: text, content: content(PRODUCES, r.returns) };
    responses['401'] = { description: 'Unauthorized' };
    op.responses = responses;
    op.tags = [r.tag];
    op['x-kubernetes-action'] = r.action;
    op['x-kubernetes-group-version-kind'] = gvkExtension(v, v.kind);
    return op;
  }, parameter);
}

function v2Parameter(p: Param): JsonObject {
  const out: JsonObject = { in: p.in, name: p.name };
  if (p.in === 'path') out.required = true;
  out.type = p.type;
  out.uniqueItems = true;
  return out;
}

function v2Paths(v: CRDVersion, routes: Route[]): JsonObject {
  return pathItems(routes, (r, params) => {
    const op: JsonObject = {
      consumes: [...(r.method === 'patch' ? CUSTOM_RESOURCE_PATCH_TYPES : BODY_TYPES)],
      operationId: r.operationId,
    };
    const ps: Json[] = params.map(v2Parameter);
    if (r.body) {
      const body: JsonObject = { in: 'body', name: 'body' };
      if (r.body.required) body.required = true;
      body.schema = { $ref: DEF + r.body.schema };
      ps.unshift(body); // "body" sorts before every option name
    }
    if (ps.length > 0) op.parameters = ps;
    op.produces = [...PRODUCES];
    const responses: JsonObject = {};
    for (const [code, text] of responseCodes(r)) responses[code] = { description: text, schema: { $ref: DEF + r.returns } };
    responses['401'] = { description: 'Unauthorized' };
    op.responses = responses;
    op.schemes = ['https'];
    op.tags = [r.tag];
    op['x-kubernetes-action'] = r.action;
    op['x-kubernetes-group-version-kind'] = gvkExtension(v, v.kind);
    return op;
  }, v2Parameter);
}

// ---------------------------------------------------------------------------
// Documents

const metaV3 = new Map<string, JsonObject>();

/** Built-in definitions reachable from `roots` (v2 or v3 references), excluding `own`. */
function builtinClosure(roots: Set<string>, own: JsonObject): string[] {
  return definitionClosure(builtinSwaggerDocument(), roots).filter((n) => !Object.hasOwn(own, n));
}

/**
 * The OpenAPI v3 document kube-apiserver serves at /openapi/v3/apis/<group>/<version>
 * for one version of one CRD (see mergeV3Documents for several CRDs of one group/version).
 * Throws when the CRD has no such version.
 */
export function crdOpenAPIV3(crd: object, version: string): JsonObject {
  const v = crdVersion(crd, version);
  const paths = v3Paths(v, routesOf(v));
  const own: JsonObject = {
    [crdModelName(v.group, v.version, v.kind)]: kindSchema(v, false),
    [crdModelName(v.group, v.version, v.listKind)]: listSchema(v, false),
  };
  const roots = collectRefs(paths);
  collectRefs(own, roots);
  const schemas: JsonObject = { ...own };
  for (const name of builtinClosure(roots, own)) {
    let s = metaV3.get(name);
    if (!s) {
      s = schemaToV3(builtinSwaggerDocument().definitions[name]!) as JsonObject;
      metaV3.set(name, s);
    }
    schemas[name] = s;
  }
  return { openapi: '3.0.0', info: { ...INFO }, paths, components: { schemas: sortedMap(schemas) } };
}

/**
 * One v3 document from the documents of several CRDs that share a group/version
 * (paths and schemas combined, the later document winning a name, as upstream).
 */
export function mergeV3Documents(docs: readonly object[]): JsonObject {
  const first = asObject(docs[0] as Json | undefined);
  const paths: JsonObject = {};
  const schemas: JsonObject = {};
  for (const d of docs as Json[]) {
    const doc = asObject(d);
    for (const [p, item] of Object.entries(asObject(doc.paths))) put(paths, p, item);
    for (const [n, s] of Object.entries(asObject(asObject(doc.components).schemas))) put(schemas, n, s);
  }
  return {
    openapi: typeof first.openapi === 'string' ? first.openapi : '3.0.0',
    info: isObject(first.info) ? first.info : { ...INFO },
    paths: sortedMap(paths),
    components: { schemas: sortedMap(schemas) },
  };
}

export interface CRDOpenAPIV2 {
  /** swagger 2.0 path items, by path. */
  paths: Record<string, JsonObject>;
  /** The kind's and the list's definitions and every built-in definition they and the paths reference. */
  definitions: Record<string, JsonObject>;
}

/** What one version of one CRD adds to /openapi/v2. Throws when the CRD has no such version. */
export function crdOpenAPIV2Definitions(crd: object, version: string): CRDOpenAPIV2 {
  const v = crdVersion(crd, version);
  const paths = v2Paths(v, routesOf(v)) as Record<string, JsonObject>;
  const own: JsonObject = {
    [crdModelName(v.group, v.version, v.kind)]: kindSchema(v, true),
    [crdModelName(v.group, v.version, v.listKind)]: listSchema(v, true),
  };
  const roots = collectRefs(paths);
  collectRefs(own, roots);
  const definitions: JsonObject = { ...own };
  const builtin = builtinSwaggerDocument().definitions;
  for (const name of builtinClosure(roots, own)) definitions[name] = builtin[name]!;
  return { paths, definitions: sortedMap(definitions) as Record<string, JsonObject> };
}

// ---------------------------------------------------------------------------
// Publishing: which CRDs, caches

/** A small least-recently-used map. */
class LRU<V> {
  private readonly map = new Map<string, V>();
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value!);
  }
}

const printsByObject = new WeakMap<object, string>();
const printsByVersion = new LRU<string>(4096);

/**
 * What identifies the part of a CRD its documents depend on: its name, whether it
 * is Established, and a hash of its spec. Kept per object and per
 * uid/resourceVersion, so that the hash is computed once per stored revision and a
 * status-only update does not rebuild any document.
 */
function fingerprint(crd: object): string {
  let p = printsByObject.get(crd);
  if (p !== undefined) return p;
  const c = crd as JsonObject;
  const m = asObject(c.metadata);
  const rv = m.resourceVersion;
  const revision = typeof rv === 'string' && rv !== '' ? `${asString(m.name)}/${asString(m.uid)}/${rv}` : undefined;
  if (revision !== undefined) p = printsByVersion.get(revision);
  if (p === undefined) {
    const specHash = contentHash(Buffer.from(JSON.stringify(c.spec ?? null))).slice(0, 40);
    p = `${asString(m.name)}#${isEstablished(crd) ? 'E' : '-'}#${specHash}`;
    if (revision !== undefined) printsByVersion.set(revision, p);
  }
  printsByObject.set(crd, p);
  return p;
}

function setKey(prints: string[]): string {
  return prints.length <= 1 ? (prints[0] ?? '') : [...prints].sort().join('\n');
}

/** Whether kube-apiserver publishes the CRD: its Established condition is True. */
export function isEstablished(crd: object): boolean {
  const conditions = asObject((crd as JsonObject).status).conditions;
  return Array.isArray(conditions) && conditions.some((c) => isObject(c) && c.type === 'Established' && c.status === 'True');
}

interface Published { name: string; print: string; crd: object; version: string; group: string }

/** Every served version of every Established CRD, sorted by CRD name then version. */
function publishedVersions(crds: readonly object[]): Published[] {
  const out: Published[] = [];
  for (const crd of crds) {
    if (!isObject(crd as Json) || !isEstablished(crd)) continue;
    const spec = asObject((crd as JsonObject).spec);
    const group = asString(spec.group);
    if (!group) continue;
    const name = asString(asObject((crd as JsonObject).metadata).name);
    const print = fingerprint(crd);
    for (const v of Array.isArray(spec.versions) ? spec.versions : []) {
      if (!isObject(v) || v.served !== true || typeof v.name !== 'string') continue;
      out.push({ name, print, crd, version: v.name, group });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
}

const documentsByInput = new LRU<Map<string, V3Document>>(16);
const documentsByGroupVersion = new LRU<V3Document>(512);

/**
 * The v3 documents of the served versions of the Established CRDs among `crds`,
 * by document path ("apis/example.com/v1"), ready to pass as serveOpenAPI's
 * `extraV3`. CRDs of one group/version share one document. CRDs whose names,
 * specs and Established conditions are unchanged (in any order, as the same or
 * new objects) give back the same Map, so the call costs microseconds when nothing
 * changed; a changed CRD rebuilds only its group/versions' documents. Do not
 * modify the Map. A CRD version whose document cannot be built is left out.
 */
export function crdDocumentsFor(crds: readonly object[]): Map<string, V3Document> {
  const inputKey = setKey(crds.map(fingerprint));
  const cached = documentsByInput.get(inputKey);
  if (cached) return cached;
  const byGV = new Map<string, Published[]>();
  for (const p of publishedVersions(crds)) {
    const path = `apis/${p.group}/${p.version}`;
    const list = byGV.get(path);
    if (list) list.push(p);
    else byGV.set(path, [p]);
  }
  const out = new Map<string, V3Document>();
  for (const path of [...byGV.keys()].sort()) {
    const parts = byGV.get(path)!;
    const key = `${path}\n${parts.map((p) => p.print).join('\n')}`;
    let doc = documentsByGroupVersion.get(key);
    if (!doc) {
      const docs: JsonObject[] = [];
      for (const p of parts) {
        try {
          docs.push(crdOpenAPIV3(p.crd, p.version));
        } catch {
          // Malformed CRD: kube-apiserver logs and skips it.
        }
      }
      if (docs.length === 0) continue;
      doc = makeV3Document(docs.length === 1 ? docs[0]! : mergeV3Documents(docs));
      documentsByGroupVersion.set(key, doc);
    }
    out.set(path, doc);
  }
  documentsByInput.set(inputKey, out);
  return out;
}

/** /openapi/v2 with custom resources: the document, and its encodings made on first use and kept. */
export interface OpenAPIV2WithCRDs {
  /** Do not modify it. */
  document: SwaggerDoc;
  json(): Encoded<Buffer>;
  protobuf(): Encoded<Uint8Array>;
}

const v2ByInput = new LRU<OpenAPIV2WithCRDs>(8);
const v2Parts = new LRU<CRDOpenAPIV2 | null>(512);

/**
 * /openapi/v2 for a server serving `served` ("v1", "apps/v1", ...) and the CRDs
 * `crds`: the built-in document of the served group/versions plus the paths and
 * definitions of every served version of every Established CRD. The built-in
 * document wins a conflicting path or definition name. Cached like
 * crdDocumentsFor: unchanged input gives back the same object, whose json() and
 * protobuf() are encoded once.
 */
export function openapiV2WithCRDs(served: readonly string[], crds: readonly object[]): OpenAPIV2WithCRDs {
  const key = `${[...served].sort().join(',')}\n${setKey(crds.map(fingerprint))}`;
  const cached = v2ByInput.get(key);
  if (cached) return cached;
  const parts: CRDOpenAPIV2[] = [];
  for (const p of publishedVersions(crds)) {
    const partKey = `${p.print}\n${p.version}`;
    let part = v2Parts.get(partKey);
    if (part === undefined) {
      try {
        part = crdOpenAPIV2Definitions(p.crd, p.version);
      } catch {
        part = null;
      }
      v2Parts.set(partKey, part);
    }
    if (part) parts.push(part);
  }
  let entry: OpenAPIV2WithCRDs;
  if (parts.length === 0) {
    entry = {
      document: openapiV2Document(served),
      json: () => openapiV2Json(served),
      protobuf: () => openapiV2Protobuf(served),
    };
  } else {
    const base = openapiV2Document(served);
    const paths: SwaggerDoc['paths'] = { ...base.paths };
    const definitions: SwaggerDoc['definitions'] = { ...base.definitions };
    for (const part of parts) {
      for (const [p, item] of Object.entries(part.paths)) if (!Object.hasOwn(paths, p)) put(paths, p, item);
      for (const [n, d] of Object.entries(part.definitions)) if (!Object.hasOwn(definitions, n)) put(definitions, n, d);
    }
    const document: SwaggerDoc = { ...base, paths, definitions };
    let json: Encoded<Buffer> | undefined;
    let proto: Encoded<Uint8Array> | undefined;
    entry = {
      document,
      json: () => {
        if (!json) {
          const body = Buffer.from(JSON.stringify(document));
          json = { body, etag: `"${contentHash(body)}"` };
        }
        return json;
      },
      protobuf: () => {
        if (!proto) {
          const body = encodeSwaggerDocument(document);
          proto = { body, etag: `"${contentHash(body)}"` };
        }
        return proto;
      },
    };
  }
  v2ByInput.set(key, entry);
  return entry;
}
