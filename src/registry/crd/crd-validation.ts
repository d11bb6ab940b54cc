// Validation of apiextensions.k8s.io/v1 CustomResourceDefinitions, as upstream's
// pkg/apis/apiextensions/validation does it, with its field paths and messages.
//
// Upstream validates the internal form of a CRD, into which v1 converts by
// moving per-version schema, subresources, printer columns and selectable
// fields to the top level when every version has identical ones. Errors about
// those then name `spec.validation...`, `spec.subresources...`,
// `spec.additionalPrinterColumns[i]...` rather than `spec.versions[i]...`, and
// the webhook conversion settings `spec.conversion.webhookClientConfig` and
// `spec.conversion.conversionReviewVersions`. This module builds that form.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { JsonValue } from '../../api/types.ts';
import { child, index, key } from '../../api/validation/fieldpath.ts';
import { isDNS1035Label, isDNS1123Subdomain, isValidPortNum, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateImmutableField, validateObjectMeta, validateObjectMetaUpdate } from '../../api/validation/objectmeta.ts';
import { internalSchema, internalSchemaOrArray, internalVersions, sortedJSON } from './go-values.ts';
import type { InternalVersionParts } from './go-values.ts';
import { coerceMetadata, pruneUnknown } from './prune.ts';
import { additionalSchema, cloneJSON, deepEqualJSON, itemsSchema, schemaHas, semanticEqualJSON, toProps } from './props.ts';
import type { Props } from './props.ts';
import { celRuleErrors } from './cel.ts';
import { newStructuralError, validateStructural } from './structural.ts';
import { validateEmbeddedResources, validateValue } from './validate.ts';

// ---------------------------------------------------------------------------
// The internal form

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const bool = (v: unknown): boolean => v === true;
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export interface Names {
  plural: string;
  singular: string;
  shortNames: string[];
  kind: string;
  listKind: string;
  categories: string[];
}

export function namesOf(v: unknown): Names {
  const n = isObj(v) ? v : {};
  return {
    plural: str(n.plural), singular: str(n.singular), shortNames: strList(n.shortNames),
    kind: str(n.kind), listKind: str(n.listKind), categories: strList(n.categories),
  };
}

interface Validation { openAPIV3Schema?: Props; raw: Obj }
interface Scale { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string }
interface Subresources { status: boolean; scale?: Scale; raw: Obj }
interface Column { name: string; type: string; format: string; description: string; priority: number; jsonPath: string }
interface SelectableField { jsonPath: string }

interface Version {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated: boolean;
  deprecationWarning?: string;
  schema?: Validation;
  subresources?: Subresources;
  additionalPrinterColumns: Column[];
  selectableFields: SelectableField[];
  /** The lists were written (possibly empty) rather than absent or moved to the top level (Go: non-nil). */
  columnsSet: boolean;
  selectableSet: boolean;
}

interface ServiceRef { namespace: string; name: string; path?: string; port: number }
interface Conversion {
  strategy: string;
  webhookClientConfig?: { url?: string; service?: ServiceRef; caBundle?: string };
  conversionReviewVersions: string[];
}

/** The internal (hub) form of a CRD spec that upstream validates. */
export interface InternalSpec {
  group: string;
  version: string;
  names: Names;
  scope: string;
  validation?: Validation;
  subresources?: Subresources;
  additionalPrinterColumns: Column[];
  selectableFields: SelectableField[];
  versions: Version[];
  conversion?: Conversion;
  preserveUnknownFields: boolean;
  /** The v1 versions as written. */
  rawVersions: unknown[];
}

function validationOf(v: unknown): Validation | undefined {
  if (!isObj(v)) return undefined;
  const out: Validation = { raw: v };
  if (isObj(v.openAPIV3Schema)) out.openAPIV3Schema = toProps(v.openAPIV3Schema);
  return out;
}

function subresourcesOf(v: unknown): Subresources | undefined {
  if (!isObj(v)) return undefined;
  const out: Subresources = { status: isObj(v.status), raw: v };
  if (isObj(v.scale)) {
    const s: Scale = { specReplicasPath: str(v.scale.specReplicasPath), statusReplicasPath: str(v.scale.statusReplicasPath) };
    if (typeof v.scale.labelSelectorPath === 'string') s.labelSelectorPath = v.scale.labelSelectorPath;
    out.scale = s;
  }
  return out;
}

function columnsOf(v: unknown): Column[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((c) => ({
    name: str(c.name), type: str(c.type), format: str(c.format), description: str(c.description),
    priority: typeof c.priority === 'number' ? c.priority : 0, jsonPath: str(c.jsonPath),
  }));
}

function selectableOf(v: unknown): SelectableField[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((f) => ({ jsonPath: str(f.jsonPath) }));
}

function conversionOf(v: unknown): Conversion | undefined {
  if (!isObj(v)) return undefined;
  const out: Conversion = { strategy: str(v.strategy), conversionReviewVersions: [] };
  if (isObj(v.webhook)) {
    out.conversionReviewVersions = strList(v.webhook.conversionReviewVersions);
    const cc = v.webhook.clientConfig;
    if (isObj(cc)) {
      const c: NonNullable<Conversion['webhookClientConfig']> = {};
      if (typeof cc.url === 'string') c.url = cc.url;
      if (typeof cc.caBundle === 'string') c.caBundle = cc.caBundle;
      if (isObj(cc.service)) {
        const s: ServiceRef = { namespace: str(cc.service.namespace), name: str(cc.service.name), port: typeof cc.service.port === 'number' ? cc.service.port : 443 };
        if (typeof cc.service.path === 'string') s.path = cc.service.path;
        c.service = s;
      }
      out.webhookClientConfig = c;
    }
  }
  return out;
}

/** Both absent, or both present and semantically equal (Go pointers to structs). */
function sameOptional(a: unknown, b: unknown): boolean {
  const pa = a !== undefined && a !== null, pb = b !== undefined && b !== null;
  if (pa !== pb) return false;
  return !pa || semanticEqualJSON(a, b);
}

/** The internal form of a v1 spec (see the file comment). */
export function internalSpec(specIn: unknown): InternalSpec {
  const spec = isObj(specIn) ? specIn : {};
  const raw = Array.isArray(spec.versions) ? spec.versions : [];
  const rawVersions = raw.map((v) => (isObj(v) ? v : {}));
  const out: InternalSpec = {
    group: str(spec.group),
    version: '',
    names: namesOf(spec.names),
    scope: str(spec.scope),
    additionalPrinterColumns: [],
    selectableFields: [],
    versions: [],
    preserveUnknownFields: spec.preserveUnknownFields === true,
    rawVersions: raw,
  };
  const conv = conversionOf(spec.conversion);
  if (conv) out.conversion = conv;
  if (rawVersions.length === 0) return out;
  out.version = str(rawVersions[0]!.name);
  const first = rawVersions[0]!;
  const same = (k: string, optional: boolean) =>
    rawVersions.every((v) => (optional ? sameOptional(v[k], first[k]) : semanticEqualJSON(v[k], first[k])));
  const schemaSame = same('schema', true);
  const subSame = same('subresources', true);
  const colsSame = same('additionalPrinterColumns', false);
  const selSame = same('selectableFields', false);
  if (schemaSame) {
    const v = validationOf(first.schema);
    if (v) out.validation = v;
  }
  if (subSame) {
    const s = subresourcesOf(first.subresources);
    if (s) out.subresources = s;
  }
  if (colsSame) out.additionalPrinterColumns = columnsOf(first.additionalPrinterColumns);
  if (selSame) out.selectableFields = selectableOf(first.selectableFields);
  for (const v of rawVersions) {
    const iv: Version = {
      name: str(v.name), served: bool(v.served), storage: bool(v.storage), deprecated: bool(v.deprecated),
      additionalPrinterColumns: colsSame ? [] : columnsOf(v.additionalPrinterColumns),
      selectableFields: selSame ? [] : selectableOf(v.selectableFields),
      columnsSet: !colsSame && Array.isArray(v.additionalPrinterColumns),
      selectableSet: !selSame && Array.isArray(v.selectableFields),
    };
    if (typeof v.deprecationWarning === 'string') iv.deprecationWarning = v.deprecationWarning;
    if (!schemaSame) {
      const s = validationOf(v.schema);
      if (s) iv.schema = s;
    }
    if (!subSame) {
      const s = subresourcesOf(v.subresources);
      if (s) iv.subresources = s;
    }
    out.versions.push(iv);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Options (what an update may keep that a create may not)

interface Options {
  allowDefaults: boolean;
  requireRecognizedConversionReviewVersion: boolean;
  requireImmutableNames: boolean;
  requireOpenAPISchema: boolean;
  requireValidPropertyType: boolean;
  requireStructuralSchema: boolean;
  requirePrunedDefaults: boolean;
  requireAtomicSetType: boolean;
  requireMapListKeysMapSetValidation: boolean;
  /** Versions ("" for the top level) whose selectable fields may exceed the maximum. */
  allowTooManySelectableFields: Set<string>;
}

const createOptions = (): Options => ({
  allowDefaults: true,
  requireRecognizedConversionReviewVersion: true,
  requireImmutableNames: false,
  requireOpenAPISchema: true,
  requireValidPropertyType: true,
  requireStructuralSchema: true,
  requirePrunedDefaults: true,
  requireAtomicSetType: true,
  requireMapListKeysMapSetValidation: true,
  allowTooManySelectableFields: new Set(),
});

const openapiV3Types = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const printerColumnTypes = ['boolean', 'date', 'integer', 'number', 'string'];
const printerColumnFormats = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
const acceptedConversionReviewVersions = ['v1', 'v1beta1'];
const maxSelectableFields = 8;
const supportedValidationReasons = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];
const allowedFieldsAtRootSchema = ['Description', 'Type', 'Format', 'Title', 'Maximum', 'ExclusiveMaximum', 'Minimum', 'ExclusiveMinimum', 'MaxLength', 'MinLength', 'Pattern', 'MaxItems', 'MinItems', 'UniqueItems', 'MultipleOf', 'Required', 'Items', 'Properties', 'ExternalDocs', 'Example', 'XPreserveUnknownFields', 'XValidations'];

/** JSONSchemaProps members in the internal struct's order, with their Go field names. */
const schemaFieldOrder: Array<[string, string]> = [
  ['id', 'ID'], ['$schema', 'Schema'], ['$ref', 'Ref'], ['description', 'Description'], ['type', 'Type'], ['nullable', 'Nullable'],
  ['format', 'Format'], ['title', 'Title'], ['default', 'Default'], ['maximum', 'Maximum'], ['exclusiveMaximum', 'ExclusiveMaximum'],
  ['minimum', 'Minimum'], ['exclusiveMinimum', 'ExclusiveMinimum'], ['maxLength', 'MaxLength'], ['minLength', 'MinLength'],
  ['pattern', 'Pattern'], ['maxItems', 'MaxItems'], ['minItems', 'MinItems'], ['uniqueItems', 'UniqueItems'], ['multipleOf', 'MultipleOf'],
  ['enum', 'Enum'], ['maxProperties', 'MaxProperties'], ['minProperties', 'MinProperties'], ['required', 'Required'], ['items', 'Items'],
  ['allOf', 'AllOf'], ['oneOf', 'OneOf'], ['anyOf', 'AnyOf'], ['not', 'Not'], ['properties', 'Properties'],
  ['additionalProperties', 'AdditionalProperties'], ['patternProperties', 'PatternProperties'], ['dependencies', 'Dependencies'],
  ['additionalItems', 'AdditionalItems'], ['definitions', 'Definitions'], ['externalDocs', 'ExternalDocs'], ['example', 'Example'],
  ['x-kubernetes-preserve-unknown-fields', 'XPreserveUnknownFields'], ['x-kubernetes-embedded-resource', 'XEmbeddedResource'],
  ['x-kubernetes-int-or-string', 'XIntOrString'], ['x-kubernetes-list-map-keys', 'XListMapKeys'], ['x-kubernetes-list-type', 'XListType'],
  ['x-kubernetes-map-type', 'XMapType'], ['x-kubernetes-validations', 'XValidations'],
];

/** Members the internal struct holds through a pointer: present means non-zero, whatever the value. */
const pointerMembers = new Set(['$ref', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'additionalProperties', 'additionalItems']);

/** Whether a JSON member decodes to a Go zero value in the internal struct (reflect.DeepEqual with the zero value). */
function isZeroMember(k: string, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (pointerMembers.has(k)) return false;
  // Strings and plain booleans are zero when empty/false; numbers are pointers; lists and maps are non-nil once written.
  return v === '' || v === false;
}

// ---------------------------------------------------------------------------
// Small checks

function validateEnumStrings(path: string, value: string, accepted: string[], required: boolean): FieldError[] {
  if (value === '') return required ? [fieldError.required(path, '')] : [];
  if (accepted.includes(value)) return [];
  return [fieldError.notSupported(path, value, accepted)];
}

function validateSimpleJSONPath(s: string, path: string): FieldError[] {
  if (s.length === 0) return [fieldError.invalid(path, s, 'must not be empty')];
  if (s[0] !== '.') return [fieldError.invalid(path, s, 'must be a simple json path starting with .')];
  return [];
}

function validateDeprecationWarning(deprecated: boolean, warning: string | undefined): string[] {
  if (!deprecated && warning !== undefined) return ['can only be set for deprecated versions'];
  if (warning === undefined) return [];
  const errs: string[] = [];
  if (Buffer.byteLength(warning) > 256) errs.push('must be <= 256 characters long');
  if (warning.length === 0) errs.push('must not be an empty string');
  let i = 0;
  for (const ch of warning) {
    const cp = ch.codePointAt(0)!;
    const printable = /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch) || cp === 0x20;
    if (!printable) {
      const control = /\p{Cc}/u.test(ch);
      errs.push(control
        ? `must only contain printable UTF-8 characters; control character found at index ${i}`
        : `must only contain printable UTF-8 characters; non-printable character found at index ${i}`);
      break;
    }
    i += Buffer.byteLength(ch);
  }
  return errs;
}

function validateNames(n: Names, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const e1035 = (v: string) => isDNS1035Label(v);
  if (n.plural.length > 0) {
    const m = e1035(n.plural);
    if (m.length > 0) errs.push(fieldError.invalid(child(path, 'plural'), n.plural, m.join(',')));
  }
  if (n.singular.length > 0) {
    const m = e1035(n.singular);
    if (m.length > 0) errs.push(fieldError.invalid(child(path, 'singular'), n.singular, m.join(',')));
  }
  if (n.kind.length > 0) {
    const m = e1035(n.kind.toLowerCase());
    if (m.length > 0) errs.push(fieldError.invalid(child(path, 'kind'), n.kind, `may have mixed case, but should otherwise match: ${m.join(',')}`));
  }
  if (n.listKind.length > 0) {
    const m = e1035(n.listKind.toLowerCase());
    if (m.length > 0) errs.push(fieldError.invalid(child(path, 'listKind'), n.listKind, `may have mixed case, but should otherwise match: ${m.join(',')}`));
  }
  n.shortNames.forEach((s, i) => {
    const m = e1035(s);
    if (m.length > 0) errs.push(fieldError.invalid(index(child(path, 'shortNames'), i), s, m.join(',')));
  });
  if (n.kind.length > 0 && n.kind === n.listKind) errs.push(fieldError.invalid(child(path, 'listKind'), n.listKind, 'kind and listKind may not be the same'));
  n.categories.forEach((c, i) => {
    const m = e1035(c);
    if (m.length > 0) errs.push(fieldError.invalid(index(child(path, 'categories'), i), c, m.join(',')));
  });
  return errs;
}

function validateColumn(col: Column, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (col.name.length === 0) errs.push(fieldError.required(child(path, 'name'), ''));
  const types = `must be one of ${printerColumnTypes.join(',')}`;
  if (col.type.length === 0) errs.push(fieldError.required(child(path, 'type'), types));
  else if (!printerColumnTypes.includes(col.type)) errs.push(fieldError.invalid(child(path, 'type'), col.type, types));
  if (col.format.length > 0 && !printerColumnFormats.includes(col.format)) {
    errs.push(fieldError.invalid(child(path, 'format'), col.format, `must be one of ${printerColumnFormats.join(',')}`));
  }
  if (col.jsonPath.length === 0) errs.push(fieldError.required(child(path, 'JSONPath'), ''));
  else errs.push(...validateSimpleJSONPath(col.jsonPath, child(path, 'JSONPath')));
  return errs;
}

function validateSubresources(sub: Subresources | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const scale = sub?.scale;
  if (!scale) return errs;
  const specPath = child(path, 'scale.specReplicasPath');
  if (scale.specReplicasPath.length === 0) errs.push(fieldError.required(specPath, ''));
  else {
    const e = validateSimpleJSONPath(scale.specReplicasPath, specPath);
    if (e.length > 0) errs.push(...e);
    else if (!scale.specReplicasPath.startsWith('.spec.')) errs.push(fieldError.invalid(specPath, scale.specReplicasPath, 'should be a json path under .spec'));
  }
  const statusPath = child(path, 'scale.statusReplicasPath');
  if (scale.statusReplicasPath.length === 0) errs.push(fieldError.required(statusPath, ''));
  else {
    const e = validateSimpleJSONPath(scale.statusReplicasPath, statusPath);
    if (e.length > 0) errs.push(...e);
    else if (!scale.statusReplicasPath.startsWith('.status.')) errs.push(fieldError.invalid(statusPath, scale.statusReplicasPath, 'should be a json path under .status'));
  }
  if (scale.labelSelectorPath !== undefined && scale.labelSelectorPath.length > 0) {
    const lp = child(path, 'scale.labelSelectorPath');
    const e = validateSimpleJSONPath(scale.labelSelectorPath, lp);
    if (e.length > 0) errs.push(...e);
    else if (!scale.labelSelectorPath.startsWith('.spec.') && !scale.labelSelectorPath.startsWith('.status.')) {
      errs.push(fieldError.invalid(lp, scale.labelSelectorPath, 'should be a json path under either .spec or .status'));
    }
  }
  return errs;
}

// ---------------------------------------------------------------------------
// Field paths in a schema (CEL's ValidFieldPath, for selectable fields)

/** Resolve `.a.b` / `['a']` against a schema; returns the path's root name and the schema found, or an error text. */
export function resolveFieldPath(jsonPath: string, schema: Props, allowArrayNotation: boolean): { root: string; path: string; schema: Props } | { error: string } {
  const tokens: string[] = [];
  let rest = jsonPath;
  while (rest.length > 0) {
    if (rest[0] === '\'') {
      let end = -1;
      for (let i = 1; i < rest.length; i++) if (rest[i] === '\'' && rest[i - 1] !== '\\') { end = i; break; }
      const tok = end < 0 ? rest : rest.slice(0, end + 1);
      tokens.push(tok);
      rest = rest.slice(tok.length);
      continue;
    }
    if ('.[]'.includes(rest[0]!)) {
      tokens.push(rest[0]!);
      rest = rest.slice(1);
      continue;
    }
    const m = /^[^.[\]]+/.exec(rest)!;
    tokens.push(m[0]);
    rest = rest.slice(m[0].length);
  }
  let s: Props | undefined = schema;
  const names: string[] = [];
  let printed = '';
  const append = (name: string, named: boolean): string | undefined => {
    if (!named) {
      printed += `[${name}]`;
      s = s ? additionalSchema(s) : undefined;
    } else {
      printed += printed === '' ? name : `.${name}`;
      const p: Props | undefined = s?.properties?.get(name);
      if (!p) return 'does not refer to a valid field';
      s = p;
    }
    names.push(name);
    return undefined;
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '[') {
      if (!allowArrayNotation) return { error: 'array notation is not allowed' };
      const t = tokens[++i];
      if (t === undefined) return { error: 'unexpected end of JSON path' };
      if (t.length < 2 || t[0] !== '\'' || t[t.length - 1] !== '\'') return { error: `expected single quoted string but got ${t}` };
      const name = t.slice(1, -1).replace(/\\(.)/g, '$1');
      if (!s) return { error: 'does not refer to a valid field' };
      const named = s.properties !== undefined && s.properties.size > 0;
      if (!named && s.additionalProperties === undefined) return { error: 'does not refer to a valid field' };
      const e = append(name, named);
      if (e) return { error: e };
      const close = tokens[++i];
      if (close === undefined) return { error: 'unexpected end of JSON path' };
      if (close !== ']') return { error: `expected ] but got ${close}` };
    } else if (tok === '.') {
      const t = tokens[++i];
      if (t === undefined) return { error: 'unexpected end of JSON path' };
      if (!s) return { error: 'does not refer to a valid field' };
      const named = s.properties !== undefined && s.properties.size > 0;
      if (!named && s.additionalProperties === undefined) return { error: 'does not refer to a valid field' };
      const e = append(t, named);
      if (e) return { error: e };
    } else {
      return { error: `expected [ or . but got: ${tok}` };
    }
  }
  if (!s) return { error: 'does not refer to a valid field' };
  return { root: names[0] ?? '', path: printed, schema: s };
}

function validateSelectableFields(fields: SelectableField[], schema: Props, path: string, opts: Options, version: string): FieldError[] {
  const errs: FieldError[] = [];
  const unique = new Set<string>();
  fields.forEach((f, i) => {
    const p = child(index(path, i), 'jsonPath');
    if (f.jsonPath.length === 0) {
      errs.push(fieldError.required(p, ''));
      return;
    }
    const r = resolveFieldPath(f.jsonPath, schema, false);
    if ('error' in r) {
      errs.push(fieldError.invalid(p, f.jsonPath, `is an invalid path: ${r.error}`));
      return;
    }
    if (r.root === 'metadata') errs.push(fieldError.invalid(p, f.jsonPath, 'must not point to fields in metadata'));
    if (!['string', 'boolean', 'integer'].includes(r.schema.type ?? '')) {
      errs.push(fieldError.invalid(p, f.jsonPath, 'must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.'));
    }
    if (unique.has(r.path)) errs.push(fieldError.duplicate(p, f.jsonPath));
    else unique.add(r.path);
  });
  if (unique.size > maxSelectableFields && !opts.allowTooManySelectableFields.has(version)) {
    errs.push({ type: 'FieldValueTooMany', field: path, value: unique.size, detail: `must have at most ${maxSelectableFields} items` });
  }
  return errs;
}

// ---------------------------------------------------------------------------
// The OpenAPI schema of a version (ValidateCustomResourceDefinitionOpenAPISchema)

interface SchemaValidator {
  allowDefaults: boolean;
  disallowDefaultsReason: string;
  insideResourceMeta: boolean;
  requireValidPropertyType: boolean;
}

function forbiddenDefaults(v: SchemaValidator, reason: string): SchemaValidator {
  return { ...v, allowDefaults: false, disallowDefaultsReason: reason };
}

function validateSchemaNode(s: Props, path: string, v: SchemaValidator): FieldError[] {
  const errs: FieldError[] = [];
  if (v.requireValidPropertyType && s.type && !openapiV3Types.includes(s.type)) {
    errs.push(fieldError.notSupported(child(path, 'type'), s.type, openapiV3Types));
  }
  if (s.default !== undefined && !v.allowDefaults) {
    errs.push(fieldError.forbidden(child(path, 'default'), `must not be set${v.disallowDefaultsReason ? ` ${v.disallowDefaultsReason}` : ''}`));
  }
  if (s.id) errs.push(fieldError.forbidden(child(path, 'id'), 'id is not supported'));
  if (s.additionalItems !== undefined) errs.push(fieldError.forbidden(child(path, 'additionalItems'), 'additionalItems is not supported'));
  if (s.patternProperties && s.patternProperties.size > 0) errs.push(fieldError.forbidden(child(path, 'patternProperties'), 'patternProperties is not supported'));
  if (s.definitions && s.definitions.size > 0) errs.push(fieldError.forbidden(child(path, 'definitions'), 'definitions is not supported'));
  if (s.dependencies !== undefined) errs.push(fieldError.forbidden(child(path, 'dependencies'), 'dependencies is not supported'));
  if (s.$ref !== undefined) errs.push(fieldError.forbidden(child(path, '$ref'), '$ref is not supported'));
  if (s.type === 'null') errs.push(fieldError.forbidden(child(path, 'type'), 'type cannot be set to null, use nullable as an alternative'));
  if (Array.isArray(s.items) && s.items.length > 0) errs.push(fieldError.forbidden(child(path, 'items'), 'items must be a schema object and not an array'));
  if (v.insideResourceMeta && s.xEmbeddedResource) errs.push(fieldError.forbidden(child(path, 'x-kubernetes-embedded-resource'), 'must not be used inside of resource meta'));
  return errs;
}

const metaFields = new Set(['metadata', 'kind', 'apiVersion']);

function hasNewlines(s: string): boolean {
  return /[\n\r]+/.test(s);
}

function validateMapListKeysMapSet(s: Props, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const items = itemsSchema(s);
  if (!items || s.xListType === undefined) return errs;
  if (s.xListType !== 'set' && s.xListType !== 'map') return errs;
  if (items.nullable) errs.push(fieldError.forbidden(child(path, 'items', 'nullable'), `cannot be nullable when x-kubernetes-list-type is ${s.xListType}`));
  if (s.xListType === 'map') {
    const required = new Set(items.required ?? []);
    for (const k of s.xListMapKeys ?? []) {
      const p = items.properties?.get(k);
      if (!p) continue;
      const pp = key(child(path, 'items', 'properties'), k);
      if (!required.has(k) && p.default === undefined) {
        errs.push(fieldError.required(child(pp, 'default'), 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
      }
      if (p.nullable) errs.push(fieldError.forbidden(child(pp, 'nullable'), 'this property is in x-kubernetes-list-map-keys, so it cannot be nullable'));
    }
  }
  return errs;
}

/** Where CEL rules are checked: none inside value validations; `uncorrelatable` is the list or atomic map above that forbids oldSelf. */
interface CelContext { uncorrelatable?: string }

interface SchemaErrors { schema: FieldError[]; cel: FieldError[] }

function appendErrors(to: SchemaErrors, from: SchemaErrors): void {
  to.schema.push(...from.schema);
  to.cel.push(...from.cel);
}

function validateOpenAPISchema(s: Props | undefined, path: string, v: SchemaValidator, isRoot: boolean, opts: Options, depth: number, celCtx: CelContext | undefined): SchemaErrors {
  const all: SchemaErrors = { schema: [], cel: [] };
  if (!s || depth > 256) return all;
  const errs = all.schema;
  errs.push(...validateSchemaNode(s, path, v));
  if (s.uniqueItems) errs.push(fieldError.forbidden(child(path, 'uniqueItems'), 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));

  if (s.additionalProperties !== undefined) {
    if (s.properties && s.properties.size > 0 && (s.additionalProperties === false || typeof s.additionalProperties === 'object')) {
      errs.push(fieldError.forbidden(child(path, 'additionalProperties'), 'additionalProperties and properties are mutual exclusive'));
    }
    const sub = v.insideResourceMeta ? forbiddenDefaults(v, 'inside additionalProperties applying to object metadata') : v;
    appendErrors(all, validateOpenAPISchema(additionalSchema(s), child(path, 'additionalProperties'), sub, false, opts, depth + 1, celCtx));
  }
  const mapCorrelatable = s.xMapType === undefined || s.xMapType === 'granular';
  for (const [name, ps] of s.properties ?? []) {
    let sub = v;
    if ((isRoot || s.xEmbeddedResource) && metaFields.has(name)) {
      sub = { ...sub, insideResourceMeta: true };
      if (isRoot) sub = forbiddenDefaults(sub, `in top-level ${name}`);
    }
    const subCel = celCtx && !mapCorrelatable && celCtx.uncorrelatable === undefined ? { uncorrelatable: path } : celCtx;
    appendErrors(all, validateOpenAPISchema(ps, key(child(path, 'properties'), name), sub, false, opts, depth + 1, subCel));
  }
  appendErrors(all, validateOpenAPISchema(s.not, child(path, 'not'), v, false, opts, depth + 1, undefined));
  s.allOf?.forEach((x, i) => appendErrors(all, validateOpenAPISchema(x, index(child(path, 'allOf'), i), v, false, opts, depth + 1, undefined)));
  s.oneOf?.forEach((x, i) => appendErrors(all, validateOpenAPISchema(x, index(child(path, 'oneOf'), i), v, false, opts, depth + 1, undefined)));
  s.anyOf?.forEach((x, i) => appendErrors(all, validateOpenAPISchema(x, index(child(path, 'anyOf'), i), v, false, opts, depth + 1, undefined)));
  for (const [k, d] of s.definitions ?? []) appendErrors(all, validateOpenAPISchema(d, key(child(path, 'definitions'), k), v, false, opts, depth + 1, undefined));
  if (s.items !== undefined) {
    const itemCel = celCtx && s.xListType !== 'map' && celCtx.uncorrelatable === undefined ? { uncorrelatable: path } : celCtx;
    if (Array.isArray(s.items)) s.items.forEach((x, i) => appendErrors(all, validateOpenAPISchema(x, index(child(path, 'items'), i), v, false, opts, depth + 1, itemCel)));
    else appendErrors(all, validateOpenAPISchema(s.items, child(path, 'items'), v, false, opts, depth + 1, itemCel));
  }
  for (const [k, d] of s.dependencies ?? []) {
    if (!Array.isArray(d)) appendErrors(all, validateOpenAPISchema(d, key(child(path, 'dependencies'), k), v, false, opts, depth + 1, undefined));
  }

  if (s.xPreserveUnknownFields === false) {
    errs.push(fieldError.invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'));
  }
  const type = s.type ?? '';
  if (s.xMapType !== undefined && type !== 'object') {
    if (type === '') errs.push(fieldError.required(child(path, 'type'), 'must be object if x-kubernetes-map-type is specified'));
    else errs.push(fieldError.invalid(child(path, 'type'), type, 'must be object if x-kubernetes-map-type is specified'));
  }
  if (s.xMapType !== undefined && s.xMapType !== 'atomic' && s.xMapType !== 'granular') {
    errs.push(fieldError.notSupported(child(path, 'x-kubernetes-map-type'), s.xMapType, ['atomic', 'granular']));
  }
  const items = itemsSchema(s);
  if (s.xListType !== undefined && type !== 'array') {
    if (type === '') errs.push(fieldError.required(child(path, 'type'), 'must be array if x-kubernetes-list-type is specified'));
    else errs.push(fieldError.invalid(child(path, 'type'), type, 'must be array if x-kubernetes-list-type is specified'));
  } else if (opts.requireAtomicSetType && s.xListType === 'set' && items) {
    if (items.type === 'array') {
      if (items.xListType !== undefined && items.xListType !== 'atomic') {
        errs.push(fieldError.invalid(child(path, 'items', 'x-kubernetes-list-type'), items.xListType, 'must be atomic as item of a list with x-kubernetes-list-type=set'));
      }
    } else if (items.type === 'object') {
      if (items.xMapType === undefined || items.xMapType !== 'atomic') {
        errs.push(fieldError.invalid(child(path, 'items', 'x-kubernetes-map-type'), items.xListType ?? null, 'must be atomic as item of a list with x-kubernetes-list-type=set'));
      }
    }
  }
  if (s.xListType !== undefined && !['atomic', 'set', 'map'].includes(s.xListType)) {
    errs.push(fieldError.notSupported(child(path, 'x-kubernetes-list-type'), s.xListType, ['atomic', 'set', 'map']));
  }
  const mapKeys = s.xListMapKeys ?? [];
  if (mapKeys.length > 0) {
    if (s.xListType === undefined) errs.push(fieldError.required(child(path, 'x-kubernetes-list-type'), 'must be map if x-kubernetes-list-map-keys is non-empty'));
    else if (s.xListType !== 'map') errs.push(fieldError.invalid(child(path, 'x-kubernetes-list-type'), s.xListType, 'must be map if x-kubernetes-list-map-keys is non-empty'));
  }
  if (s.xListType === 'map') {
    if (mapKeys.length === 0) errs.push(fieldError.required(child(path, 'x-kubernetes-list-map-keys'), 'must not be empty if x-kubernetes-list-type is map'));
    if (s.items === undefined) errs.push(fieldError.required(child(path, 'items'), 'must have a schema if x-kubernetes-list-type is map'));
    if (s.items !== undefined && !items) errs.push(fieldError.invalid(child(path, 'items'), internalSchemaOrArray(s.items), 'must only have a single schema if x-kubernetes-list-type is map'));
    if (items && items.type !== 'object') {
      errs.push(fieldError.invalid(child(path, 'items', 'type'), items.type ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
    }
    if (items && items.type === 'object') {
      const seen = new Set<string>();
      for (const k of mapKeys) {
        const p = items.properties?.get(k);
        if (p) {
          if (p.type === 'array' || p.type === 'object') {
            errs.push(fieldError.invalid(child(key(child(path, 'items', 'properties'), k), 'type'), items.type, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
          }
        } else {
          errs.push(fieldError.invalid(child(path, 'x-kubernetes-list-map-keys'), mapKeys, 'entries must all be names of item properties'));
        }
        if (seen.has(k)) errs.push(fieldError.invalid(child(path, 'x-kubernetes-list-map-keys'), mapKeys, 'must not contain duplicate entries'));
        seen.add(k);
      }
    }
  }
  if (opts.requireMapListKeysMapSetValidation) errs.push(...validateMapListKeysMapSet(s, path));

  (s.xValidations ?? []).forEach((rule, i) => {
    const rp = index(child(path, 'x-kubernetes-validations'), i);
    const trimmedRule = rule.rule.trim(), trimmedMsg = rule.message.trim(), trimmedExpr = rule.messageExpression.trim();
    if (trimmedRule.length === 0) errs.push(fieldError.required(child(rp, 'rule'), 'rule is not specified'));
    else if (rule.message.length > 0 && trimmedMsg.length === 0) errs.push(fieldError.invalid(child(rp, 'message'), rule.message, 'must be non-empty if specified'));
    else if (hasNewlines(trimmedMsg)) errs.push(fieldError.invalid(child(rp, 'message'), rule.message, 'must not contain line breaks'));
    else if (hasNewlines(trimmedRule) && trimmedMsg.length === 0) errs.push(fieldError.required(child(rp, 'message'), 'message must be specified if rule contains line breaks'));
    if (rule.messageExpression.length > 0 && trimmedExpr.length === 0) {
      errs.push(fieldError.required(child(rp, 'messageExpression'), 'messageExpression must be non-empty if specified'));
    }
    if (rule.reason !== undefined && !supportedValidationReasons.includes(rule.reason)) {
      errs.push(fieldError.notSupported(child(rp, 'reason'), rule.reason, supportedValidationReasons));
    }
    if (rule.fieldPath.length > 0 && rule.fieldPath.trim().length === 0) errs.push(fieldError.invalid(child(rp, 'fieldPath'), rule.fieldPath, 'must be non-empty if specified'));
    if (hasNewlines(rule.fieldPath)) errs.push(fieldError.invalid(child(rp, 'fieldPath'), rule.fieldPath, 'must not contain line breaks'));
    if (rule.fieldPath.length > 0 && newStructuralError(s) === undefined && 'error' in resolveFieldPath(rule.fieldPath, s, true)) {
      errs.push(fieldError.invalid(child(rp, 'fieldPath'), rule.fieldPath, 'must be a valid path'));
    }
  });
  // Rules are compiled only where the schema at and below this node is sound.
  if ((s.xValidations?.length ?? 0) > 0 && errs.length === 0 && celCtx) all.cel.push(...celRuleErrors(s, path, celCtx.uncorrelatable));
  return all;
}

// ---------------------------------------------------------------------------
// Defaults (structuraldefaulting.ValidateDefaults)

function validateDefaultsNode(path: string, s: Props, insideMeta: boolean, requirePruned: boolean, isRoot: boolean, depth: number, errs: FieldError[]): void {
  if (depth > 256) return;
  const embedded = isRoot || s.xEmbeddedResource === true;
  if (s.xEmbeddedResource) insideMeta = false;
  if (s.default !== undefined) {
    const dp = child(path, 'default');
    if (insideMeta) {
      errs.push(...validateValue(s.default, s, { basePath: dp }));
    } else {
      if (requirePruned) {
        const pruned = cloneJSON(s.default);
        pruneUnknown(pruned, s, { isResourceRoot: s.xEmbeddedResource === true });
        if (!deepEqualJSON(pruned, s.default)) errs.push(fieldError.invalid(dp, sortedJSON(s.default), 'must not have unknown fields'));
      }
      const coerceErr = s.xEmbeddedResource ? embeddedTypeMetaCoerceError(dp, s.default) : undefined;
      if (coerceErr) errs.push(coerceErr);
      else {
        const metaErrs = embeddedDefaultErrors(dp, s);
        if (metaErrs.length > 0) errs.push(...metaErrs);
        else errs.push(...validateValue(s.default, s, { basePath: dp }));
      }
    }
  }
  const items = itemsSchema(s);
  if (items) validateDefaultsNode(child(path, 'items'), items, insideMeta, requirePruned, false, depth + 1, errs);
  for (const [k, sub] of s.properties ?? []) {
    const subInside = insideMeta || (embedded && metaFields.has(k));
    validateDefaultsNode(key(child(path, 'properties'), k), sub, subInside, requirePruned, false, depth + 1, errs);
  }
}

function embeddedTypeMetaCoerceError(path: string, v: unknown): FieldError | undefined {
  if (!isObj(v)) return undefined;
  for (const k of ['apiVersion', 'kind']) {
    if (Object.prototype.hasOwnProperty.call(v, k) && typeof v[k] !== 'string') return fieldError.invalid(child(path, k), v[k] as JsonValue, 'must be a string');
  }
  return undefined;
}

/** Embedded resources inside a default (and the default itself when its schema is one). */
function embeddedDefaultErrors(path: string, s: Props): FieldError[] {
  const d = s.default;
  if (!isObj(d)) return [];
  const wrapped = { [path]: d };
  const wrapperSchema = toProps({ type: 'object', properties: { [path]: s.raw } });
  return validateEmbeddedResources(wrapped, wrapperSchema);
}

// ---------------------------------------------------------------------------
// The schema of a version or of the top level

function validateValidation(val: Validation | undefined, statusEnabled: boolean, opts: Options, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!val) return errs;
  const schema = val.openAPIV3Schema;
  if (schema) {
    const sp = child(path, 'openAPIV3Schema');
    if (statusEnabled) {
      for (const [jsonName, goName] of schemaFieldOrder) {
        const value = schema.raw[jsonName];
        if (isZeroMember(jsonName, value)) continue;
        if (goName === 'Type') {
          if (schema.type !== 'object') {
            errs.push(fieldError.invalid(child(path, 'openAPIV3Schema.type'), schema.type ?? '', 'only "object" is allowed as the type at the root of the schema if the status subresource is enabled'));
            break;
          }
          continue;
        }
        if (!allowedFieldsAtRootSchema.includes(goName)) {
          errs.push(fieldError.invalid(sp, internalSchema(schema), `only [${allowedFieldsAtRootSchema.join(' ')}] fields are allowed at the root of the schema if the status subresource is enabled`));
          break;
        }
      }
    }
    if (schema.nullable) errs.push(fieldError.forbidden(child(path, 'openAPIV3Schema.nullable'), 'nullable cannot be true at the root'));

    const v: SchemaValidator = { allowDefaults: opts.allowDefaults, disallowDefaultsReason: '', insideResourceMeta: false, requireValidPropertyType: opts.requireValidPropertyType };
    const initErrs: FieldError[] = [];
    // CEL rules are checked only once the schema is structural and its defaults valid.
    let celOk = false;
    if (opts.requireStructuralSchema) {
      const e = newStructuralError(schema);
      if (e) initErrs.push(fieldError.invalid(sp, '', e));
      else {
        const structural = validateStructural(sp, schema);
        if (structural.length > 0) errs.push(...structural);
        else {
          const defErrs: FieldError[] = [];
          validateDefaultsNode(sp, schema, false, opts.requirePrunedDefaults, true, 0, defErrs);
          errs.push(...defErrs);
          celOk = defErrs.length === 0;
        }
      }
    }
    const schemaErrs = validateOpenAPISchema(schema, sp, v, true, opts, 0, celOk ? {} : undefined);
    errs.push(...schemaErrs.schema, ...schemaErrs.cel);
    if (errs.length === 0 && initErrs.length > 0) errs.push(...initErrs);
  }
  return errs;
}

function hasStatusEnabled(sub: Subresources | undefined): boolean {
  return sub?.status === true;
}

function subresourcesForVersion(spec: InternalSpec, name: string): Subresources | undefined {
  if (!spec.versions.some((v) => v.subresources !== undefined)) return spec.subresources;
  return spec.versions.find((v) => v.name === name)?.subresources;
}

function hasAnyStatusEnabled(spec: InternalSpec): boolean {
  return hasStatusEnabled(spec.subresources) || spec.versions.some((v) => hasStatusEnabled(v.subresources));
}

function schemasOf(spec: InternalSpec): Props[] {
  const out: Props[] = [];
  if (spec.validation?.openAPIV3Schema) out.push(spec.validation.openAPIV3Schema);
  for (const v of spec.versions) if (v.schema?.openAPIV3Schema) out.push(v.schema.openAPIV3Schema);
  return out;
}

function specHasDefaults(spec: InternalSpec): boolean {
  return schemasOf(spec).some((s) => schemaHas(s, (x) => x.default !== undefined));
}

// ---------------------------------------------------------------------------
// Webhook conversion

/** net/url.Parse, reduced to what webhook URL validation looks at. */
function parseURL(s: string): { scheme: string; host: string; user?: string; fragment: string; rawQuery: string } | { error: string } {
  if (/[\x00-\x1f\x7f]/.test(s)) return { error: `parse ${JSON.stringify(s)}: net/url: invalid control character in URL` };
  let rest = s;
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let scheme = '';
  const sm = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (sm) {
    scheme = sm[1]!.toLowerCase();
    rest = rest.slice(sm[0].length);
  } else if (/^[^/?]*:/.test(rest) && rest.indexOf(':') === 0) {
    return { error: `parse ${JSON.stringify(s)}: missing protocol scheme` };
  }
  let rawQuery = '';
  const qi = rest.indexOf('?');
  if (qi >= 0) {
    rawQuery = rest.slice(qi + 1);
    rest = rest.slice(0, qi);
  }
  let host = '';
  let user: string | undefined;
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    let auth = end < 0 ? rest.slice(2) : rest.slice(2, end);
    const at = auth.lastIndexOf('@');
    if (at >= 0) {
      user = auth.slice(0, at);
      auth = auth.slice(at + 1);
    }
    if (/[\s<>"{}|\\^`]/.test(auth)) return { error: `parse ${JSON.stringify(s)}: invalid character ${JSON.stringify(auth.match(/[\s<>"{}|\\^`]/)![0])} in host name` };
    host = auth;
  }
  const out: { scheme: string; host: string; user?: string; fragment: string; rawQuery: string } = { scheme, host, fragment, rawQuery };
  if (user !== undefined) out.user = user;
  return out;
}

function validateWebhookURL(path: string, url: string): FieldError[] {
  const form = '; desired format: https://host[/path]';
  const u = parseURL(url);
  if ('error' in u) return [fieldError.required(path, `url must be a valid URL: ${u.error}${form}`)];
  const errs: FieldError[] = [];
  if (u.scheme !== 'https') errs.push(fieldError.invalid(path, u.scheme, `'https' is the only allowed URL scheme${form}`));
  if (u.host.length === 0) errs.push(fieldError.invalid(path, u.host, `host must be specified${form}`));
  if (u.user !== undefined) errs.push(fieldError.invalid(path, u.user, 'user information is not permitted in the URL'));
  if (u.fragment.length !== 0) errs.push(fieldError.invalid(path, u.fragment, 'fragments are not permitted in the URL'));
  if (u.rawQuery.length !== 0) errs.push(fieldError.invalid(path, u.rawQuery, 'query parameters are not permitted in the URL'));
  return errs;
}

/** Upstream passes the service's name and namespace in swapped order; the messages follow. */
function validateWebhookService(path: string, namespace: string, name: string, urlPath: string | undefined, port: number): FieldError[] {
  const errs: FieldError[] = [];
  if (name.length === 0) errs.push(fieldError.required(child(path, 'name'), ''));
  if (namespace.length === 0) errs.push(fieldError.required(child(path, 'namespace'), ''));
  const pe = isValidPortNum(port);
  if (pe.length > 0) errs.push(fieldError.invalid(child(path, 'port'), port, `port is not valid: ${pe.join(', ')}`));
  if (urlPath === undefined || urlPath === '/' || urlPath.length === 0) return errs;
  const pp = child(path, 'path');
  if (urlPath === '//') {
    errs.push(fieldError.invalid(pp, urlPath, 'segment[0] may not be empty'));
    return errs;
  }
  if (!urlPath.startsWith('/')) errs.push(fieldError.invalid(pp, urlPath, "must start with a '/'"));
  let check = urlPath.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (step.length === 0) {
      errs.push(fieldError.invalid(pp, urlPath, `segment[${i}] may not be empty`));
      return;
    }
    for (const f of isDNS1123Subdomain(step)) errs.push(fieldError.invalid(pp, urlPath, `segment[${i}]: ${f}`));
  });
  return errs;
}

function validateConversionReviewVersions(versions: string[], requireRecognized: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (versions.length < 1) return [fieldError.required(path, '')];
  const seen = new Set<string>();
  let accepted = false;
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(fieldError.invalid(index(path, i), v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const m of isDNS1035Label(v)) errs.push(fieldError.invalid(index(path, i), v, m));
    if (acceptedConversionReviewVersions.includes(v)) accepted = true;
  });
  if (requireRecognized && !accepted) {
    errs.push(fieldError.invalid(path, versions, `must include at least one of ${acceptedConversionReviewVersions.join(', ')}`));
  }
  return errs;
}

function validateConversion(conv: Conversion | undefined, requireRecognized: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!conv) return errs;
  errs.push(...validateEnumStrings(child(path, 'strategy'), conv.strategy, ['None', 'Webhook'], true));
  if (conv.strategy === 'Webhook') {
    const cp = child(path, 'webhookClientConfig');
    const cc = conv.webhookClientConfig;
    if (!cc) errs.push(fieldError.required(cp, 'required when strategy is set to Webhook'));
    else if ((cc.url === undefined) === (cc.service === undefined)) errs.push(fieldError.required(cp, 'exactly one of url or service is required'));
    else if (cc.url !== undefined) errs.push(...validateWebhookURL(child(cp, 'url'), cc.url));
    else if (cc.service) errs.push(...validateWebhookService(child(cp, 'service'), cc.service.name, cc.service.namespace, cc.service.path, cc.service.port));
    errs.push(...validateConversionReviewVersions(conv.conversionReviewVersions, requireRecognized, child(path, 'conversionReviewVersions')));
  } else {
    if (conv.webhookClientConfig) errs.push(fieldError.forbidden(child(path, 'webhookClientConfig'), 'should not be set when strategy is not set to Webhook'));
    if (conv.conversionReviewVersions.length > 0) errs.push(fieldError.forbidden(child(path, 'conversionReviewVersions'), 'should not be set when strategy is not set to Webhook'));
  }
  return errs;
}

// ---------------------------------------------------------------------------
// The spec

function validateVersion(v: Version, path: string, statusEnabled: boolean, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  for (const m of validateDeprecationWarning(v.deprecated, v.deprecationWarning)) {
    errs.push(fieldError.invalid(child(path, 'deprecationWarning'), v.deprecationWarning ?? null, m));
  }
  errs.push(...validateValidation(v.schema, statusEnabled, opts, child(path, 'schema')));
  errs.push(...validateSubresources(v.subresources, child(path, 'subresources')));
  v.additionalPrinterColumns.forEach((c, i) => errs.push(...validateColumn(c, index(child(path, 'additionalPrinterColumns'), i))));
  if (v.selectableFields.length > 0) {
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) {
      errs.push(fieldError.invalid(child(path, 'selectableFields'), '', 'may only be set when `version.schema.openAPIV3Schema` is not included'));
    } else {
      const e = newStructuralError(schema);
      if (e) errs.push(fieldError.invalid(child(path, 'schema.openAPIV3Schema'), '', e));
      else errs.push(...validateSelectableFields(v.selectableFields, schema, child(path, 'selectableFields'), opts, v.name));
    }
  }
  return errs;
}

/** spec.versions as upstream prints it in errors: the internal structs, Go field names. */
function versionsValue(spec: InternalSpec): unknown[] {
  return internalVersions(spec.versions.map((v): InternalVersionParts => {
    const parts: InternalVersionParts = { name: v.name, served: v.served, storage: v.storage, deprecated: v.deprecated };
    if (v.deprecationWarning !== undefined) parts.deprecationWarning = v.deprecationWarning;
    if (v.schema) parts.schema = v.schema.openAPIV3Schema ? { openAPIV3Schema: v.schema.openAPIV3Schema } : {};
    if (v.subresources) parts.subresources = v.subresources.scale ? { status: v.subresources.status, scale: v.subresources.scale } : { status: v.subresources.status };
    if (v.columnsSet) parts.additionalPrinterColumns = v.additionalPrinterColumns;
    if (v.selectableSet) parts.selectableFields = v.selectableFields;
    return parts;
  }));
}

function validateSpec(spec: InternalSpec, opts: Options, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const gp = child(path, 'group');
  if (spec.group.length === 0) errs.push(fieldError.required(gp, ''));
  else {
    const m = isDNS1123Subdomain(spec.group);
    if (m.length > 0) errs.push(fieldError.invalid(gp, spec.group, m.join(',')));
    else if (spec.group.split('.').length < 2) errs.push(fieldError.invalid(gp, spec.group, 'should be a domain with at least one dot'));
  }
  errs.push(...validateEnumStrings(child(path, 'scope'), spec.scope, ['Cluster', 'Namespaced'], true));
  if (!spec.preserveUnknownFields) opts = { ...opts, requireStructuralSchema: true };

  const vp = child(path, 'versions');
  if (opts.requireOpenAPISchema) {
    if (!spec.validation?.openAPIV3Schema) {
      spec.versions.forEach((v, i) => {
        if (!v.schema?.openAPIV3Schema) errs.push(fieldError.required(child(index(vp, i), 'schema', 'openAPIV3Schema'), ''));
      });
    }
  } else if (!spec.preserveUnknownFields && !spec.validation?.openAPIV3Schema) {
    spec.versions.forEach((v, i) => {
      if (v.served && !v.schema?.openAPIV3Schema) errs.push(fieldError.required(child(index(vp, i), 'schema', 'openAPIV3Schema'), 'because otherwise all fields are pruned'));
    });
  }
  if (opts.allowDefaults && specHasDefaults(spec)) {
    opts = { ...opts, requireStructuralSchema: true };
    if (spec.preserveUnknownFields) errs.push(fieldError.invalid(child(path, 'preserveUnknownFields'), true, 'must be false in order to use defaults in the schema'));
  }

  let storageCount = 0;
  const seen = new Set<string>();
  let uniqueNames = true;
  spec.versions.forEach((v, i) => {
    if (v.storage) storageCount++;
    if (seen.has(v.name)) uniqueNames = false;
    else seen.add(v.name);
    const m = isDNS1035Label(v.name);
    if (m.length > 0) errs.push(fieldError.invalid(child(index(vp, i), 'name'), v.name, m.join(',')));
    errs.push(...validateVersion(v, index(vp, i), hasStatusEnabled(subresourcesForVersion(spec, v.name)), opts));
  });
  if (!uniqueNames) errs.push(fieldError.invalid(vp, versionsValue(spec), 'must contain unique version names'));
  if (storageCount !== 1) errs.push(fieldError.invalid(vp, versionsValue(spec), 'must have exactly one version marked as storage version'));
  if (spec.version.length !== 0) {
    const m = isDNS1035Label(spec.version);
    if (m.length > 0) errs.push(fieldError.invalid(child(path, 'version'), spec.version, m.join(',')));
  }

  const np = child(path, 'names');
  if (spec.names.plural.length === 0) errs.push(fieldError.required(child(np, 'plural'), ''));
  if (spec.names.singular.length === 0) errs.push(fieldError.required(child(np, 'singular'), ''));
  if (spec.names.kind.length === 0) errs.push(fieldError.required(child(np, 'kind'), ''));
  if (spec.names.listKind.length === 0) errs.push(fieldError.required(child(np, 'listKind'), ''));
  errs.push(...validateNames(spec.names, np));
  errs.push(...validateValidation(spec.validation, hasAnyStatusEnabled(spec), opts, child(path, 'validation')));
  errs.push(...validateSubresources(spec.subresources, child(path, 'subresources')));
  spec.additionalPrinterColumns.forEach((c, i) => errs.push(...validateColumn(c, index(child(path, 'additionalPrinterColumns'), i))));
  if (spec.selectableFields.length > 0) {
    if (!spec.validation) {
      errs.push(fieldError.invalid(child(path, 'selectableFields'), '', 'may only be set when validations.schema is included'));
    } else if (spec.validation.openAPIV3Schema) {
      const e = newStructuralError(spec.validation.openAPIV3Schema);
      if (e) errs.push(fieldError.invalid(child(path, 'schema.openAPIV3Schema'), '', e));
      else errs.push(...validateSelectableFields(spec.selectableFields, spec.validation.openAPIV3Schema, child(path, 'selectableFields'), opts, ''));
    }
  }
  if (spec.conversion && spec.conversion.strategy !== 'None' && spec.preserveUnknownFields) {
    errs.push(fieldError.invalid(child(path, 'conversion', 'strategy'), spec.conversion.strategy, 'must be None if spec.preserveUnknownFields is true'));
  }
  errs.push(...validateConversion(spec.conversion, opts.requireRecognizedConversionReviewVersion, child(path, 'conversion')));
  return errs;
}

// ---------------------------------------------------------------------------
// Status, approval, whole object

function validateStoredVersions(stored: string[], versions: Version[], path: string): FieldError[] {
  if (stored.length === 0) return [fieldError.invalid(path, null, 'must have at least one stored version')];
  const errs: FieldError[] = [];
  const remaining = new Map<string, number>();
  stored.forEach((v, i) => remaining.set(v, i));
  for (const v of versions) {
    const has = remaining.has(v.name);
    if (v.storage && !has) errs.push(fieldError.invalid(path, stored, `must have the storage version ${v.name}`));
    if (has) remaining.delete(v.name);
  }
  for (const [v, i] of remaining) {
    errs.push(fieldError.invalid(index(path, i), v,
      `missing from spec.versions; ${v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${v} and removes ${v} from status.storedVersions`));
  }
  return errs;
}

const approvalAnnotation = 'api-approved.kubernetes.io';

function isProtectedCommunityGroup(group: string): boolean {
  return group === 'k8s.io' || group.endsWith('.k8s.io') || group === 'kubernetes.io' || group.endsWith('.kubernetes.io');
}

type Approval = 'invalid' | 'approved' | 'bypassed' | 'missing';

function approvalState(annotations: unknown): { state: Approval; reason: string } {
  const a = isObj(annotations) && typeof annotations[approvalAnnotation] === 'string' ? annotations[approvalAnnotation] as string : '';
  if (a.length === 0) {
    return { state: 'missing', reason: `protected groups must have approval annotation ${JSON.stringify(approvalAnnotation)}, see https://github.com/kubernetes/enhancements/pull/1111` };
  }
  if (a.startsWith('unapproved')) return { state: 'bypassed', reason: `not approved: ${JSON.stringify(a)}` };
  const u = parseURL(a);
  if (!('error' in u) && u.host.length > 0 && u.scheme.length > 0 && /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(a)) return { state: 'approved', reason: `approved in ${a}` };
  return {
    state: 'invalid',
    reason: `protected groups must have approval annotation ${JSON.stringify(approvalAnnotation)} with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`,
  };
}

function validateAPIApproval(group: string, meta: unknown, oldMeta: unknown | undefined): FieldError[] {
  if (!isProtectedCommunityGroup(group)) return [];
  const annotations = isObj(meta) ? meta.annotations : undefined;
  const now = approvalState(annotations);
  if (oldMeta !== undefined && approvalState(isObj(oldMeta) ? oldMeta.annotations : undefined).state === now.state) return [];
  const p = key(child('metadata', 'annotations'), approvalAnnotation);
  const value = isObj(annotations) && typeof annotations[approvalAnnotation] === 'string' ? annotations[approvalAnnotation] as string : '';
  switch (now.state) {
    case 'missing': return [fieldError.required(p, now.reason)];
    case 'invalid': return [fieldError.invalid(p, value, now.reason)];
    default: return [];
  }
}

function validatePreserveUnknownFields(spec: unknown, oldSpec: unknown | undefined): FieldError[] {
  if (oldSpec !== undefined && isObj(oldSpec) && oldSpec.preserveUnknownFields === true) return [];
  if (isObj(spec) && spec.preserveUnknownFields === true) {
    return [fieldError.invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead')];
  }
  return [];
}

function statusOf(crd: Obj): { acceptedNames: Names; storedVersions: string[]; conditions: Obj[] } {
  const s = isObj(crd.status) ? crd.status : {};
  return {
    acceptedNames: namesOf(s.acceptedNames),
    storedVersions: strList(s.storedVersions),
    conditions: Array.isArray(s.conditions) ? s.conditions.filter(isObj) : [],
  };
}

/** The CRD's condition of this type is True. */
export function isCRDConditionTrue(crd: unknown, type: string): boolean {
  if (!isObj(crd)) return false;
  return statusOf(crd).conditions.some((c) => c.type === type && c.status === 'True');
}

function validateCommon(crd: Obj, spec: InternalSpec, oldCrd: Obj | undefined, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateSpec(spec, opts, 'spec'));
  const status = statusOf(crd);
  errs.push(...validateNames(status.acceptedNames, 'status.acceptedNames'));
  errs.push(...validateStoredVersions(status.storedVersions, spec.versions, 'status.storedVersions'));
  errs.push(...validateAPIApproval(spec.group, crd.metadata, oldCrd ? oldCrd.metadata ?? {} : undefined));
  errs.push(...validatePreserveUnknownFields(crd.spec, oldCrd?.spec));
  return errs;
}

/** ValidateCustomResourceDefinition: a new CRD. */
export function validateCRD(crdIn: unknown): FieldError[] {
  const crd = isObj(crdIn) ? crdIn : {};
  const spec = internalSpec(crd.spec);
  const required = `${spec.names.plural}.${spec.group}`;
  const nameValidator = (name: string, prefix: boolean) => {
    const m = nameIsDNSSubdomain(name, prefix);
    if (name !== required) m.push('must be spec.names.plural+"."+spec.group');
    return m;
  };
  const errs = validateObjectMeta(crd.metadata, { namespaced: false, nameValidator, rules: 'generic' });
  errs.push(...validateCommon(crd, spec, undefined, createOptions()));
  return errs;
}

function hasUnprunedDefaults(s: Props | undefined): boolean {
  if (!s || !schemaHas(s, (x) => x.default !== undefined)) return false;
  if (newStructuralError(s) !== undefined || validateStructural('', s).length > 0) return false;
  return schemaHas(s, (x) => {
    if (x.default === undefined) return false;
    const pruned = cloneJSON(x.default);
    pruneUnknown(pruned, x, { isResourceRoot: x.xEmbeddedResource === true });
    coerceMetadata(pruned, x);
    return !deepEqualJSON(pruned, x.default);
  });
}

function hasNonAtomicSetType(s: Props): boolean {
  return schemaHas(s, (x) => {
    const items = itemsSchema(x);
    if (x.xListType !== 'set' || !items) return false;
    if (items.type === 'array') return items.xListType !== undefined && items.xListType !== 'atomic';
    if (items.type === 'object') return items.xMapType === undefined || items.xMapType !== 'atomic';
    return false;
  });
}

function updateOptions(spec: InternalSpec, oldCrd: Obj, oldSpec: InternalSpec): Options {
  const oldSchemas = schemasOf(oldSpec);
  const allSpecify = !!oldSpec.validation?.openAPIV3Schema || oldSpec.versions.every((v) => !!v.schema?.openAPIV3Schema);
  const oldConv = oldSpec.conversion;
  const tooMany = new Set<string>();
  if (oldSpec.selectableFields.length > maxSelectableFields && semanticEqualJSON(spec.selectableFields, oldSpec.selectableFields)) tooMany.add('');
  for (const v of spec.versions) {
    const ov = oldSpec.versions.find((x) => x.name === v.name);
    if (ov && ov.selectableFields.length > maxSelectableFields && semanticEqualJSON(v.selectableFields, ov.selectableFields)) tooMany.add(v.name);
  }
  return {
    allowDefaults: true,
    requireRecognizedConversionReviewVersion: !oldConv || oldConv.conversionReviewVersions.length === 0 ||
      oldConv.conversionReviewVersions.some((v) => acceptedConversionReviewVersions.includes(v)),
    requireImmutableNames: isCRDConditionTrue(oldCrd, 'Established'),
    requireOpenAPISchema: allSpecify,
    requireValidPropertyType: !oldSchemas.some((s) => schemaHas(s, (x) => !!x.type && !openapiV3Types.includes(x.type))),
    requireStructuralSchema: !oldSchemas.some((s) => newStructuralError(s) !== undefined || validateStructural('', s).length > 0),
    requirePrunedDefaults: !oldSchemas.some(hasUnprunedDefaults),
    requireAtomicSetType: !oldSchemas.some(hasNonAtomicSetType),
    requireMapListKeysMapSetValidation: !oldSchemas.some((s) => schemaHas(s, (x) => validateMapListKeysMapSet(x, '').length > 0)),
    allowTooManySelectableFields: tooMany,
  };
}

/** ValidateCustomResourceDefinitionUpdate: the new CRD, and what may not change since the old one. */
export function validateCRDUpdate(crdIn: unknown, oldIn: unknown): FieldError[] {
  const crd = isObj(crdIn) ? crdIn : {};
  const old = isObj(oldIn) ? oldIn : {};
  const spec = internalSpec(crd.spec);
  const oldSpec = internalSpec(old.spec);
  const opts = updateOptions(spec, old, oldSpec);
  const errs = validateObjectMetaUpdate(crd.metadata, old.metadata, 'metadata', 'generic');
  errs.push(...validateSpec(spec, opts, 'spec'));
  if (opts.requireImmutableNames) {
    errs.push(...validateImmutableField(spec.scope, oldSpec.scope, 'spec.scope'));
    errs.push(...validateImmutableField(spec.names.kind, oldSpec.names.kind, 'spec.names.kind'));
  }
  errs.push(...validateImmutableField(spec.group, oldSpec.group, 'spec.group'));
  errs.push(...validateImmutableField(spec.names.plural, oldSpec.names.plural, 'spec.names.plural'));
  const status = statusOf(crd);
  errs.push(...validateNames(status.acceptedNames, 'status.acceptedNames'));
  errs.push(...validateStoredVersions(status.storedVersions, spec.versions, 'status.storedVersions'));
  errs.push(...validateAPIApproval(spec.group, crd.metadata, old.metadata ?? {}));
  errs.push(...validatePreserveUnknownFields(crd.spec, old.spec));
  return errs;
}

/** ValidateUpdateCustomResourceDefinitionStatus: a write to the status subresource. */
export function validateCRDStatusUpdate(crdIn: unknown, oldIn: unknown): FieldError[] {
  const crd = isObj(crdIn) ? crdIn : {};
  const old = isObj(oldIn) ? oldIn : {};
  return [...validateObjectMetaUpdate(crd.metadata, old.metadata, 'metadata', 'generic'), ...validateNames(statusOf(crd).acceptedNames, 'status.acceptedNames')];
}

/** Formats no schema of the CRD recognizes (upstream warns: `unrecognized format "x"`). */
export function schemasOfSpec(specIn: unknown): Props[] {
  return schemasOf(internalSpec(specIn));
}
