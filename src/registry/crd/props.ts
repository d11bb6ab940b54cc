// A CRD version's `openAPIV3Schema` (apiextensions.k8s.io/v1 JSONSchemaProps)
// read from untrusted JSON into a typed tree. Members of the wrong JSON type are
// dropped the way Go's decoder would refuse them; `default: null` and
// `example: null` count as unset, as they do upstream.

import type { JsonValue } from '../../api/types.ts';
import { deepCopy } from '../../api/json-copy.ts';

export interface ValidationRule {
  rule: string;
  message: string;
  messageExpression: string;
  reason?: string;
  fieldPath: string;
  optionalOldSelf?: boolean;
}

/** One schema node. Absent members are undefined. */
export interface Props {
  id?: string;
  $schema?: string;
  $ref?: string;
  description?: string;
  type?: string;
  format?: string;
  title?: string;
  default?: JsonValue;
  maximum?: number;
  exclusiveMaximum?: boolean;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  multipleOf?: number;
  enum?: JsonValue[];
  maxProperties?: number;
  minProperties?: number;
  required?: string[];
  /** A schema, or (not allowed) an array of schemas. */
  items?: Props | Props[];
  allOf?: Props[];
  oneOf?: Props[];
  anyOf?: Props[];
  not?: Props;
  properties?: Map<string, Props>;
  /** `true`/`false`, or a schema (which allows). */
  additionalProperties?: boolean | Props;
  patternProperties?: Map<string, Props>;
  dependencies?: Map<string, Props | string[]>;
  additionalItems?: boolean | Props;
  definitions?: Map<string, Props>;
  externalDocs?: { description?: string; url?: string };
  example?: JsonValue;
  nullable?: boolean;
  xPreserveUnknownFields?: boolean;
  xEmbeddedResource?: boolean;
  xIntOrString?: boolean;
  xListMapKeys?: string[];
  xListType?: string;
  xMapType?: string;
  xValidations?: ValidationRule[];
  /** The JSON this was read from. */
  raw: Record<string, unknown>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const strs = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;

function propsMap(v: unknown): Map<string, Props> | undefined {
  if (!isRecord(v)) return undefined;
  const m = new Map<string, Props>();
  for (const [k, x] of Object.entries(v)) if (isRecord(x)) m.set(k, toProps(x));
  return m;
}

function propsList(v: unknown): Props[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.filter(isRecord).map(toProps);
}

function schemaOrBool(v: unknown): boolean | Props | undefined {
  if (typeof v === 'boolean') return v;
  if (isRecord(v)) return toProps(v);
  return undefined;
}

function rules(v: unknown): ValidationRule[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.filter(isRecord).map((r) => {
    const out: ValidationRule = {
      rule: str(r.rule) ?? '',
      message: str(r.message) ?? '',
      messageExpression: str(r.messageExpression) ?? '',
      fieldPath: str(r.fieldPath) ?? '',
    };
    const reason = str(r.reason);
    if (reason !== undefined) out.reason = reason;
    const oos = bool(r.optionalOldSelf);
    if (oos !== undefined) out.optionalOldSelf = oos;
    return out;
  });
}

const cache = new WeakMap<object, Props>();

/** The typed form of one JSONSchemaProps object (cached per input object). */
export function toProps(raw: Record<string, unknown>): Props {
  const hit = cache.get(raw);
  if (hit) return hit;
  const p: Props = { raw };
  const set = <K extends keyof Props>(k: K, v: Props[K] | undefined) => { if (v !== undefined) p[k] = v; };
  set('id', str(raw.id));
  set('$schema', str(raw.$schema));
  set('$ref', str(raw.$ref));
  set('description', str(raw.description));
  set('type', str(raw.type));
  set('format', str(raw.format));
  set('title', str(raw.title));
  if (raw.default !== undefined && raw.default !== null) p.default = raw.default as JsonValue;
  set('maximum', num(raw.maximum));
  set('exclusiveMaximum', bool(raw.exclusiveMaximum));
  set('minimum', num(raw.minimum));
  set('exclusiveMinimum', bool(raw.exclusiveMinimum));
  set('maxLength', int(raw.maxLength));
  set('minLength', int(raw.minLength));
  set('pattern', str(raw.pattern));
  set('maxItems', int(raw.maxItems));
  set('minItems', int(raw.minItems));
  set('uniqueItems', bool(raw.uniqueItems));
  set('multipleOf', num(raw.multipleOf));
  if (Array.isArray(raw.enum)) p.enum = raw.enum as JsonValue[];
  set('maxProperties', int(raw.maxProperties));
  set('minProperties', int(raw.minProperties));
  set('required', strs(raw.required));
  if (isRecord(raw.items)) p.items = toProps(raw.items);
  else if (Array.isArray(raw.items)) p.items = propsList(raw.items);
  set('allOf', propsList(raw.allOf));
  set('oneOf', propsList(raw.oneOf));
  set('anyOf', propsList(raw.anyOf));
  if (isRecord(raw.not)) p.not = toProps(raw.not);
  set('properties', propsMap(raw.properties));
  set('additionalProperties', schemaOrBool(raw.additionalProperties));
  set('patternProperties', propsMap(raw.patternProperties));
  if (isRecord(raw.dependencies)) {
    const m = new Map<string, Props | string[]>();
    for (const [k, x] of Object.entries(raw.dependencies)) {
      if (isRecord(x)) m.set(k, toProps(x));
      else if (Array.isArray(x)) m.set(k, x.filter((s): s is string => typeof s === 'string'));
    }
    p.dependencies = m;
  }
  set('additionalItems', schemaOrBool(raw.additionalItems));
  set('definitions', propsMap(raw.definitions));
  if (isRecord(raw.externalDocs)) {
    const d: { description?: string; url?: string } = {};
    const desc = str(raw.externalDocs.description), url = str(raw.externalDocs.url);
    if (desc !== undefined) d.description = desc;
    if (url !== undefined) d.url = url;
    p.externalDocs = d;
  }
  if (raw.example !== undefined && raw.example !== null) p.example = raw.example as JsonValue;
  set('nullable', bool(raw.nullable));
  set('xPreserveUnknownFields', bool(raw['x-kubernetes-preserve-unknown-fields']));
  set('xEmbeddedResource', bool(raw['x-kubernetes-embedded-resource']));
  set('xIntOrString', bool(raw['x-kubernetes-int-or-string']));
  set('xListMapKeys', strs(raw['x-kubernetes-list-map-keys']));
  set('xListType', str(raw['x-kubernetes-list-type']));
  set('xMapType', str(raw['x-kubernetes-map-type']));
  set('xValidations', rules(raw['x-kubernetes-validations']));
  cache.set(raw, p);
  return p;
}

/** The schema of a single-schema `items`, if any. */
export function itemsSchema(p: Props): Props | undefined {
  return p.items && !Array.isArray(p.items) ? p.items : undefined;
}

/** The schema of `additionalProperties` when it is one (not a boolean). */
export function additionalSchema(p: Props): Props | undefined {
  return typeof p.additionalProperties === 'object' ? p.additionalProperties : undefined;
}

/** Whether `additionalProperties` is present at all (a schema, true or false). */
export function hasAdditional(p: Props): boolean {
  return p.additionalProperties !== undefined;
}

export function preserves(p: Props | undefined): boolean {
  return p?.xPreserveUnknownFields === true;
}

/** Every schema directly below p (for traversals like SchemaHas). */
export function childSchemas(p: Props): Props[] {
  const out: Props[] = [];
  if (p.items) out.push(...(Array.isArray(p.items) ? p.items : [p.items]));
  for (const l of [p.allOf, p.anyOf, p.oneOf]) if (l) out.push(...l);
  if (p.not) out.push(p.not);
  if (p.properties) out.push(...p.properties.values());
  if (typeof p.additionalProperties === 'object') out.push(p.additionalProperties);
  if (p.patternProperties) out.push(...p.patternProperties.values());
  if (typeof p.additionalItems === 'object') out.push(p.additionalItems);
  if (p.definitions) out.push(...p.definitions.values());
  if (p.dependencies) for (const d of p.dependencies.values()) if (!Array.isArray(d)) out.push(d);
  return out;
}

/** True when pred holds for p or any schema below it (upstream's SchemaHas). */
export function schemaHas(p: Props | undefined, pred: (s: Props) => boolean, depth = 0): boolean {
  if (!p || depth > 256) return false;
  if (pred(p)) return true;
  return childSchemas(p).some((c) => schemaHas(c, pred, depth + 1));
}

/** Deep equality of JSON values where absent, null, "", false, [] and {} are all unset (Go's Semantic.DeepEqual on decoded structs). */
export function semanticEqualJSON(a: unknown, b: unknown): boolean {
  const unset = (v: unknown): boolean => v === undefined || v === null || v === '' || v === false ||
    (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).every((k) => unset(v[k])));
  if (unset(a) && unset(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => semanticEqualJSON(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!semanticEqualJSON(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

/** Plain deep equality of JSON values (reflect.DeepEqual on decoded JSON). */
export function deepEqualJSON(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqualJSON(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined), kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqualJSON(a[k], b[k]));
  }
  return false;
}

export function cloneJSON<T>(v: T): T {
  return v === undefined ? v : (deepCopy(v));
}
