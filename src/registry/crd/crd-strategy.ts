// The Strategy of apiextensions.k8s.io/v1 CustomResourceDefinition, as upstream's
// registry/customresourcedefinition strategy and v1 defaults have it:
//
// - defaults: names.singular (the lowercased kind), names.listKind (kind+"List"),
//   conversion {strategy: None}, a webhook service's port 443, served/storage
//   written out, and the schemas in their canonical JSON (empty members gone, as
//   Go's omitempty drops them);
// - create: status reset to acceptedNames {plural: "", kind: ""} and the storage
//   version in storedVersions; generation 1;
// - update: status kept, generation +1 when the spec changes, a new storage
//   version appended to storedVersions;
// - validation: see crd-validation.ts (create, update, status update).
//
// crdWarnings gives the warnings upstream returns with a write.

import type { KubeObject } from '../../api/types.ts';
import type { Strategy } from '../types.ts';
import { schemasOfSpec, validateCRD, validateCRDStatusUpdate, validateCRDUpdate } from './crd-validation.ts';
import { isUnrecognizedFormat } from './formats.ts';
import { deepEqualJSON, itemsSchema, schemaHas } from './props.ts';
import { deepCopy } from '../../api/json-copy.ts';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSONSchemaProps members Go holds through pointers: written even when empty or false. */
const pointerMembers = new Set(['$ref', 'default', 'example', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'additionalProperties', 'additionalItems',
  'maximum', 'minimum', 'maxLength', 'minLength', 'maxItems', 'minItems', 'multipleOf', 'maxProperties', 'minProperties', 'not', 'externalDocs']);
const schemaMaps = ['properties', 'patternProperties', 'definitions', 'dependencies'];
const schemaLists = ['allOf', 'oneOf', 'anyOf'];

/** A schema as Go writes it back: omitempty members dropped, nested schemas likewise. */
export function normalizeSchemaJSON(s: Obj, depth = 0): void {
  if (depth > 256) return;
  for (const [k, v] of Object.entries(s)) {
    if (v === null) { delete s[k]; continue; }
    if (pointerMembers.has(k)) continue;
    if (v === '' || v === false || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0 && k !== 'items')) delete s[k];
  }
  if (isObj(s.items)) normalizeSchemaJSON(s.items, depth + 1);
  else if (Array.isArray(s.items)) for (const x of s.items) if (isObj(x)) normalizeSchemaJSON(x, depth + 1);
  if (isObj(s.not)) normalizeSchemaJSON(s.not, depth + 1);
  if (isObj(s.additionalProperties)) normalizeSchemaJSON(s.additionalProperties, depth + 1);
  if (isObj(s.additionalItems)) normalizeSchemaJSON(s.additionalItems, depth + 1);
  for (const k of schemaLists) if (Array.isArray(s[k])) for (const x of s[k] as unknown[]) if (isObj(x)) normalizeSchemaJSON(x, depth + 1);
  for (const k of schemaMaps) if (isObj(s[k])) for (const x of Object.values(s[k] as Obj)) if (isObj(x)) normalizeSchemaJSON(x, depth + 1);
  if (Array.isArray(s['x-kubernetes-validations'])) {
    for (const r of s['x-kubernetes-validations'] as unknown[]) {
      if (!isObj(r)) continue;
      for (const k of ['message', 'messageExpression', 'fieldPath']) if (r[k] === '' || r[k] === null) delete r[k];
    }
  }
}

/** The v1 defaults of a CRD (SetDefaults_CustomResourceDefinition), in place. */
export function defaultCRD(obj: KubeObject): void {
  const spec = isObj(obj.spec) ? obj.spec : undefined;
  if (!spec) return;
  const names = isObj(spec.names) ? spec.names : undefined;
  if (names) {
    const kind = typeof names.kind === 'string' ? names.kind : '';
    if (typeof names.singular !== 'string' || names.singular === '') names.singular = kind.toLowerCase();
    if ((typeof names.listKind !== 'string' || names.listKind === '') && kind !== '') names.listKind = `${kind}List`;
  }
  if (spec.conversion === undefined || spec.conversion === null) spec.conversion = { strategy: 'None' };
  const conv = isObj(spec.conversion) ? spec.conversion : undefined;
  const webhook = conv && isObj(conv.webhook) ? conv.webhook : undefined;
  const cc = webhook && isObj(webhook.clientConfig) ? webhook.clientConfig : undefined;
  if (cc && isObj(cc.service) && (cc.service.port === undefined || cc.service.port === null)) cc.service.port = 443;
  if (Array.isArray(spec.versions)) {
    for (const v of spec.versions) {
      if (!isObj(v)) continue;
      if (typeof v.served !== 'boolean') v.served = false;
      if (typeof v.storage !== 'boolean') v.storage = false;
      if (isObj(v.schema) && isObj(v.schema.openAPIV3Schema)) normalizeSchemaJSON(v.schema.openAPIV3Schema);
    }
  }
  const status = isObj(obj.status) ? obj.status : undefined;
  if (status && (!Array.isArray(status.storedVersions) || status.storedVersions.length === 0)) {
    const storage = storageVersion(spec);
    if (storage !== undefined) status.storedVersions = [storage];
  }
}

function storageVersion(spec: Obj): string | undefined {
  if (!Array.isArray(spec.versions)) return undefined;
  for (const v of spec.versions) if (isObj(v) && v.storage === true && typeof v.name === 'string') return v.name;
  return undefined;
}

/** Append the storage version to status.storedVersions when it is not there yet. */
function recordStorageVersion(obj: KubeObject): void {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const storage = storageVersion(spec);
  if (storage === undefined) return;
  const status = isObj(obj.status) ? obj.status : (obj.status = {}) as Obj;
  const stored = Array.isArray(status.storedVersions) ? status.storedVersions : (status.storedVersions = []);
  if (!stored.includes(storage)) stored.push(storage);
}

export const crdStrategy: Strategy = {
  specFields: ['spec'],
  defaults: defaultCRD,
  prepareForCreate(obj) {
    obj.status = { acceptedNames: { plural: '', kind: '' }, storedVersions: [] };
    recordStorageVersion(obj);
  },
  prepareForUpdate(obj, old) {
    if (old.status === undefined) delete obj.status;
    else obj.status = deepCopy(old.status);
    defaultCRD(obj);
    const changed = !deepEqualJSON(obj.spec, old.spec);
    if (isObj(obj.metadata)) obj.metadata.generation = (old.metadata?.generation ?? 1) + (changed ? 1 : 0);
    recordStorageVersion(obj);
  },
  validate() {
    return [];
  },
  validateCreate(obj) {
    return validateCRD(obj);
  },
  validateUpdate(obj, old) {
    // A write of the status subresource changes nothing but status.
    if (deepEqualJSON(obj.spec, old.spec) && !deepEqualJSON(obj.status, old.status)) return validateCRDStatusUpdate(obj, old);
    return validateCRDUpdate(obj, old);
  },
};

function unrecognizedFormats(spec: unknown): string[] {
  const out: string[] = [];
  for (const s of schemasOfSpec(spec)) {
    schemaHas(s, (x) => {
      if (x.format && isUnrecognizedFormat(x.type, x.format)) out.push(x.format);
      return false;
    });
  }
  return out;
}

function nonScalarSetWarnings(spec: unknown): string[] {
  const seen = new Set<string>();
  for (const s of schemasOfSpec(spec)) {
    schemaHas(s, (x) => {
      const items = itemsSchema(x);
      if (x.xListType === 'set' && items && (items.type === 'object' || items.type === 'array')) {
        seen.add(`x-kubernetes-list-type: set for items of type ${JSON.stringify(items.type)} is not supported by server-side apply or CEL validation rules`);
      }
      return false;
    });
  }
  return [...seen].sort();
}

/** The warnings upstream returns for a created (or, given `old`, updated) CRD. */
export function crdWarnings(crd: KubeObject, old?: KubeObject): string[] {
  const formats = unrecognizedFormats(crd.spec);
  const sets = nonScalarSetWarnings(crd.spec);
  if (!old) return [...formats.map((f) => `unrecognized format ${JSON.stringify(f)}`), ...sets];
  const oldFormats = new Set(unrecognizedFormats(old.spec));
  const oldSets = new Set(nonScalarSetWarnings(old.spec));
  return [
    ...formats.filter((f) => !oldFormats.has(f)).map((f) => `unrecognized format ${JSON.stringify(f)}`),
    ...sets.filter((w) => !oldSets.has(w)),
  ];
}
