// Derives src/api/schema/schemas.generated.json, the structural schema of every
// built-in type, from the upstream OpenAPI v2 document of Kubernetes 1.36.
//
//   npx node scripts/gen-schemas.ts [path/to/openapi-v2.json]
//
// For each definition it keeps type, format, the $ref target (definition name),
// items, additionalProperties, properties, required, enum and default, and the
// x-kubernetes-* extensions that drive decoding, patching and apply, under short
// names (see src/api/schema/types.ts). Descriptions and other prose are dropped.
// Types whose Go implementation decodes any JSON (RawExtension, FieldsV1, ...)
// are marked `opaque`: the OpenAPI document cannot tell them from empty structs.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { SchemaFile, SchemaNode } from '../src/api/schema/types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const input = process.argv[2] ?? resolve(repo, '../shared/k8s-api/openapi-v2.json');
const output = resolve(repo, 'src/api/schema/schemas.generated.json');

/** Types with custom JSON unmarshalling that accept any JSON value. */
const OPAQUE = new Set([
  'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray',
]);

type Raw = Record<string, unknown>;

const REF_PREFIX = '#/definitions/';

const EXTENSIONS: ReadonlyArray<readonly [string, keyof SchemaNode]> = [
  ['x-kubernetes-patch-strategy', 'patchStrategy'],
  ['x-kubernetes-patch-merge-key', 'patchMergeKey'],
  ['x-kubernetes-list-type', 'listType'],
  ['x-kubernetes-list-map-keys', 'listMapKeys'],
  ['x-kubernetes-map-type', 'mapType'],
  ['x-kubernetes-int-or-string', 'intOrString'],
  ['x-kubernetes-preserve-unknown-fields', 'preserveUnknownFields'],
  ['x-kubernetes-embedded-resource', 'embeddedResource'],
  ['x-kubernetes-unions', 'unions'],
];

function isRaw(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function convert(raw: Raw, where: string): SchemaNode {
  const node: SchemaNode = {};
  const out = node as Record<string, unknown>;
  if (typeof raw['type'] === 'string') node.type = raw['type'] as SchemaNode['type'];
  if (typeof raw['format'] === 'string') node.format = raw['format'];
  if (typeof raw['$ref'] === 'string') {
    const ref = raw['$ref'];
    if (!ref.startsWith(REF_PREFIX)) throw new Error(`${where}: unexpected $ref ${ref}`);
    node.ref = ref.slice(REF_PREFIX.length);
  }
  if (Array.isArray(raw['allOf'])) {
    // A single-element allOf is how some generators wrap a $ref carrying a default.
    const refs = raw['allOf'].filter(isRaw).map((s) => s['$ref']).filter((r): r is string => typeof r === 'string');
    if (refs.length === 1 && !node.ref) node.ref = refs[0]!.slice(REF_PREFIX.length);
  }
  if (isRaw(raw['items'])) node.items = convert(raw['items'], `${where}.items`);
  const ap = raw['additionalProperties'];
  if (ap === true) node.additionalProperties = true;
  else if (isRaw(ap)) node.additionalProperties = convert(ap, `${where}.additionalProperties`);
  if (isRaw(raw['properties'])) {
    const props: Record<string, SchemaNode> = {};
    for (const [name, p] of Object.entries(raw['properties'])) {
      if (!isRaw(p)) throw new Error(`${where}.${name}: property schema is not an object`);
      props[name] = convert(p, `${where}.${name}`);
    }
    node.properties = props;
  }
  if (Array.isArray(raw['required']) && raw['required'].length > 0) node.required = raw['required'].map(String);
  if (Array.isArray(raw['enum'])) node.enum = raw['enum'] as SchemaNode['enum'];
  if (raw['default'] !== undefined) node.default = raw['default'] as SchemaNode['default'];
  const gvk = raw['x-kubernetes-group-version-kind'];
  if (Array.isArray(gvk)) {
    node.gvk = gvk.filter(isRaw).map((g) => ({ group: String(g['group'] ?? ''), version: String(g['version']), kind: String(g['kind']) }));
  }
  for (const [ext, key] of EXTENSIONS) {
    if (raw[ext] !== undefined) out[key] = raw[ext];
  }
  return node;
}

const doc = JSON.parse(readFileSync(input, 'utf8')) as Raw;
if (!isRaw(doc['definitions'])) throw new Error(`${input}: no definitions`);
const names = Object.keys(doc['definitions']).sort();
const definitions: Record<string, SchemaNode> = {};
for (const name of names) {
  const def = convert(doc['definitions'][name] as Raw, name);
  if (OPAQUE.has(name)) {
    def.opaque = true;
    delete def.type;
  }
  definitions[name] = def;
}
for (const name of OPAQUE) if (!definitions[name]) throw new Error(`opaque type ${name} is not defined`);

// Every reference must resolve.
const check = (n: SchemaNode, where: string): void => {
  if (n.ref && !definitions[n.ref]) throw new Error(`${where}: dangling reference ${n.ref}`);
  if (n.items) check(n.items, `${where}[]`);
  if (n.additionalProperties && n.additionalProperties !== true) check(n.additionalProperties, `${where}{}`);
  for (const [k, p] of Object.entries(n.properties ?? {})) check(p, `${where}.${k}`);
};
for (const [name, def] of Object.entries(definitions)) check(def, name);

const file: SchemaFile = { source: 'Kubernetes 1.36 OpenAPI v2 (structure only)', definitions };
// One definition per line keeps diffs readable.
const lines = names.map((n, i) => `    ${JSON.stringify(n)}: ${JSON.stringify(definitions[n])}${i < names.length - 1 ? ',' : ''}`);
const text = `{\n  "source": ${JSON.stringify(file.source)},\n  "definitions": {\n${lines.join('\n')}\n  }\n}\n`;
JSON.parse(text); // sanity
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, text);
console.log(`wrote ${output}: ${names.length} definitions, ${text.length} bytes`);
