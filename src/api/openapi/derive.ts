// Pure transformations of a Kubernetes OpenAPI v2 (swagger 2.0) document:
// dropping prose, following references, splitting by group/version, and
// converting the slice of one group/version into the OpenAPI v3 document that
// kube-apiserver serves under /openapi/v3/<api/v1 | apis/<group>/<version>>.
//
// Used by scripts/gen-openapi.ts at development time and, for the
// served-group/version filter of /openapi/v2, at run time.

import { documentOfPath, documentPathOf } from './paths.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface SwaggerDoc {
  swagger: string;
  info: JsonObject;
  paths: { [path: string]: JsonObject };
  definitions: { [name: string]: JsonObject };
  parameters?: { [name: string]: JsonObject };
  security?: Json[];
  securityDefinitions?: JsonObject;
  [key: string]: Json | undefined;
}

export { documentOfPath, documentPathOf };

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

const DEF_PREFIX = '#/definitions/';
const PARAM_PREFIX = '#/parameters/';
const V3_SCHEMA_PREFIX = '#/components/schemas/';

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys whose values are literal data, not more of the spec: never rewritten. */
function isLiteralKey(key: string): boolean {
  return key === 'default' || key === 'enum' || key === 'example' || key.startsWith('x-');
}

/**
 * Keys whose object value maps *names* to spec nodes (property names, definition
 * names, paths, status codes, media types). Inside such a map a key like
 * "description", "default" or "x-kubernetes-embedded-resource" is a name, not a keyword.
 */
const NAMED_MAPS = new Set([
  'properties', 'patternProperties', 'definitions', 'paths', 'securityDefinitions', 'parameters',
  'responses', 'schemas', 'securitySchemes', 'content', 'headers', 'dependencies',
]);

function isNamedMap(key: string, val: Json): val is JsonObject {
  return NAMED_MAPS.has(key) && isObject(val);
}

/**
 * A copy of `v` without prose: every `description` (and `summary`) keyword is
 * removed, except that response objects keep an empty description because the
 * format requires one. Literal data (default, enum, example, vendor extensions)
 * is copied untouched.
 */
export function stripProse(v: Json): Json {
  return stripNode(v, false);
}

function stripNode(v: Json, responseObject: boolean): Json {
  if (Array.isArray(v)) return v.map((x) => stripNode(x, false));
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(v)) {
    if ((k === 'description' || k === 'summary') && typeof val === 'string') {
      if (responseObject && k === 'description') out[k] = '';
      continue;
    }
    if (isLiteralKey(k)) { out[k] = val; continue; }
    if (isNamedMap(k, val)) {
      const m: JsonObject = {};
      for (const [name, node] of Object.entries(val)) m[name] = stripNode(node, k === 'responses');
      out[k] = m;
      continue;
    }
    out[k] = stripNode(val, false);
  }
  return out;
}

/** Every `$ref` string reachable inside `v` (skipping literal data). */
export function collectRefs(v: Json, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(v)) { for (const x of v) collectRefs(x, into); return into; }
  if (!isObject(v)) return into;
  for (const [k, val] of Object.entries(v)) {
    if (k === '$ref' && typeof val === 'string') into.add(val);
    else if (isNamedMap(k, val)) { for (const node of Object.values(val)) collectRefs(node, into); }
    else if (!isLiteralKey(k)) collectRefs(val, into);
  }
  return into;
}

/** Names of the definitions reachable from `roots` (refs of the form #/definitions/X), in the document's order. */
export function definitionClosure(doc: SwaggerDoc, roots: Iterable<string>): string[] {
  const seen = new Set<string>();
  const stack: string[] = [];
  const visit = (ref: string): void => {
    let name: string | undefined;
    if (ref.startsWith(DEF_PREFIX)) name = ref.slice(DEF_PREFIX.length);
    else if (ref.startsWith(V3_SCHEMA_PREFIX)) name = ref.slice(V3_SCHEMA_PREFIX.length);
    else if (ref.startsWith(PARAM_PREFIX)) {
      const p = doc.parameters?.[ref.slice(PARAM_PREFIX.length)];
      if (p) for (const r of collectRefs(p)) visit(r);
      return;
    }
    if (name === undefined || seen.has(name) || !doc.definitions[name]) return;
    seen.add(name);
    stack.push(name);
  };
  for (const r of roots) visit(r);
  while (stack.length > 0) {
    const name = stack.pop()!;
    for (const r of collectRefs(doc.definitions[name]!)) visit(r);
  }
  return Object.keys(doc.definitions).filter((n) => seen.has(n));
}

// ---------------------------------------------------------------------------
// Splitting by document

/** A v2 document restricted to the paths whose document is in `keep`, with exactly the definitions those paths reach. */
export function filterSwagger(doc: SwaggerDoc, keep: (documentPath: string) => boolean): SwaggerDoc {
  const paths: SwaggerDoc['paths'] = {};
  const roots = new Set<string>();
  for (const [p, item] of Object.entries(doc.paths)) {
    if (!keep(documentOfPath(p))) continue;
    paths[p] = item;
    collectRefs(item, roots);
  }
  const definitions: SwaggerDoc['definitions'] = {};
  for (const name of definitionClosure(doc, roots)) definitions[name] = doc.definitions[name]!;
  const usedParams = new Set<string>();
  for (const r of roots) if (r.startsWith(PARAM_PREFIX)) usedParams.add(r.slice(PARAM_PREFIX.length));
  const out: SwaggerDoc = { ...doc, paths, definitions };
  if (doc.parameters) {
    const parameters: { [name: string]: JsonObject } = {};
    for (const [n, p] of Object.entries(doc.parameters)) if (usedParams.has(n)) parameters[n] = p;
    out.parameters = parameters;
  }
  return out;
}

// ---------------------------------------------------------------------------
// v2 → v3

/** Keys of a v2 non-body parameter that describe its value and move under `schema` in v3. */
const PARAM_SCHEMA_KEYS = new Set([
  'type', 'format', 'items', 'default', 'enum', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'multipleOf',
]);

/** Rewrite #/definitions/ refs to #/components/schemas/ and wrap a `$ref` that has siblings in allOf, as kube-apiserver's v3 does. */
export function schemaToV3(v: Json): Json {
  if (Array.isArray(v)) return v.map(schemaToV3);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  let ref: string | undefined;
  for (const [k, val] of Object.entries(v)) {
    if (k === '$ref' && typeof val === 'string') { ref = V3_SCHEMA_PREFIX + val.replace(DEF_PREFIX, ''); continue; }
    if (isNamedMap(k, val)) {
      const m: JsonObject = {};
      for (const [name, node] of Object.entries(val)) m[name] = schemaToV3(node);
      out[k] = m;
    } else {
      out[k] = isLiteralKey(k) ? val : schemaToV3(val);
    }
  }
  if (ref === undefined) return out;
  if (Object.keys(out).length === 0) return { $ref: ref };
  return { allOf: [{ $ref: ref }], ...out };
}

function resolveParam(doc: SwaggerDoc, p: Json): JsonObject | undefined {
  if (!isObject(p)) return undefined;
  if (typeof p.$ref === 'string' && p.$ref.startsWith(PARAM_PREFIX)) return doc.parameters?.[p.$ref.slice(PARAM_PREFIX.length)];
  return p;
}

function paramToV3(p: JsonObject): JsonObject {
  const out: JsonObject = {};
  const schema: JsonObject = {};
  for (const [k, val] of Object.entries(p)) {
    if (PARAM_SCHEMA_KEYS.has(k)) schema[k] = k === 'items' ? schemaToV3(val) : val;
    else if (k === 'collectionFormat' || k === 'allowEmptyValue') continue;
    else out[k] = val;
  }
  out.schema = schema;
  return out;
}

function contentFor(mediaTypes: Json | undefined, schema: Json): JsonObject {
  const content: JsonObject = {};
  const types = Array.isArray(mediaTypes) && mediaTypes.length > 0 ? mediaTypes : ['application/json'];
  for (const t of types) if (typeof t === 'string') content[t] = { schema: schemaToV3(schema) };
  return content;
}

function operationToV3(doc: SwaggerDoc, op: JsonObject): JsonObject {
  const out: JsonObject = {};
  const params: Json[] = [];
  let requestBody: JsonObject | undefined;
  const consumes = op.consumes ?? (doc.consumes as Json | undefined);
  const produces = op.produces ?? (doc.produces as Json | undefined);
  for (const raw of Array.isArray(op.parameters) ? op.parameters : []) {
    const p = resolveParam(doc, raw);
    if (!p) continue;
    if (p.in === 'body') {
      requestBody = { content: contentFor(consumes, p.schema ?? {}) };
      if (p.required === true) requestBody.required = true;
    } else {
      params.push(paramToV3(p));
    }
  }
  for (const [k, val] of Object.entries(op)) {
    switch (k) {
      case 'consumes': case 'produces': case 'schemes': break;
      case 'parameters':
        if (params.length > 0) out.parameters = params;
        if (requestBody) out.requestBody = requestBody;
        break;
      case 'responses': {
        const rs: JsonObject = {};
        for (const [code, r] of Object.entries(isObject(val) ? val : {})) {
          if (!isObject(r)) continue;
          const v3: JsonObject = { description: typeof r.description === 'string' ? r.description : '' };
          if (r.schema !== undefined) v3.content = contentFor(produces, r.schema);
          for (const [rk, rv] of Object.entries(r)) if (rk.startsWith('x-')) v3[rk] = rv;
          rs[code] = v3;
        }
        out.responses = rs;
        break;
      }
      default:
        out[k] = val;
    }
  }
  return out;
}

function pathItemToV3(doc: SwaggerDoc, item: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(item)) {
    if ((HTTP_METHODS as readonly string[]).includes(k) && isObject(val)) out[k] = operationToV3(doc, val);
    else if (k === 'parameters' && Array.isArray(val)) {
      const ps: Json[] = [];
      for (const raw of val) {
        const p = resolveParam(doc, raw);
        if (p && p.in !== 'body') ps.push(paramToV3(p));
      }
      if (ps.length > 0) out.parameters = ps;
    } else out[k] = val;
  }
  return out;
}

export interface V3Options {
  /** info.version, e.g. "v1.36.0". */
  version: string;
}

/** The OpenAPI v3 document of one document path ("api/v1", "apis/apps/v1", "apis/apps", "version", ...). */
export function toV3Document(doc: SwaggerDoc, documentPath: string, opts: V3Options): JsonObject {
  const paths: JsonObject = {};
  const roots = new Set<string>();
  for (const [p, item] of Object.entries(doc.paths)) {
    if (documentOfPath(p) !== documentPath) continue;
    const v3 = pathItemToV3(doc, item);
    paths[p] = v3;
    collectRefs(v3, roots);
  }
  const schemas: JsonObject = {};
  for (const name of definitionClosure(doc, roots)) schemas[name] = schemaToV3(doc.definitions[name]!);
  const components: JsonObject = { schemas };
  const securitySchemes: JsonObject = {};
  for (const [name, s] of Object.entries(doc.securityDefinitions ?? {})) {
    if (isObject(s)) securitySchemes[name] = s;
  }
  if (Object.keys(securitySchemes).length > 0) components.securitySchemes = securitySchemes;
  const out: JsonObject = {
    openapi: '3.0.0',
    info: { title: typeof doc.info.title === 'string' ? doc.info.title : 'Kubernetes', version: opts.version },
    paths,
    components,
  };
  if (doc.security) out.security = doc.security;
  return out;
}
