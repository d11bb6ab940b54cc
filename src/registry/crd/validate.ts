// Validation of custom resources against their CRD version's schema, as
// kube-apiserver does it: the OpenAPI v3 validator (kube-openapi's, with its
// messages, its order of checks and its quirks), turned into field errors the
// way apiextensions-apiserver converts them; ratcheting on update (errors in
// values unchanged since the old object are dropped); embedded resources'
// apiVersion/kind/metadata; x-kubernetes-list-type set/map uniqueness; scale
// replica paths; type meta and ObjectMeta.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { child, index, key } from '../../api/validation/fieldpath.ts';
import { isDNS1035Label, nameIsDNSSubdomain, nameIsPathSegment } from '../../api/validation/names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../api/validation/objectmeta.ts';
import { goFloat, goJSON, goNumber, goTypeOf, goValue, isGoInt } from '../../api/jsonpath/values.ts';
import { blockingError, hasValidationRules, validateCELRules } from './cel.ts';
import { checkStringFormat, effectiveFormat, isKnownStringFormat } from './formats.ts';
import { sortedJSON } from './go-values.ts';
import { additionalSchema, deepEqualJSON, itemsSchema } from './props.ts';
import type { Props } from './props.ts';
import { compileGoRegexp } from './regex.ts';

// ---------------------------------------------------------------------------
// kube-openapi's result model

type Code =
  | 'invalidType' | 'required' | 'tooLong' | 'tooShort' | 'pattern' | 'enum' | 'multipleOf'
  | 'max' | 'min' | 'unique' | 'maxItems' | 'minItems' | 'tooFewProperties' | 'tooManyProperties'
  | 'unallowedProperty' | 'multipleOfMustBePositive';

/** A validation error (with a name and code), or a plain one (anyOf/allOf/range texts). */
type OErr =
  | { kind: 'validation'; code: Code; name: string; message: string; value?: unknown; valid?: number; values?: readonly unknown[] }
  | { kind: 'plain'; message: string };

class Result {
  errors: OErr[] = [];
  matchCount = 0;

  add(e: OErr | undefined): void {
    if (!e) return;
    if (this.errors.some((x) => x.message === e.message)) return;
    this.errors.push(e);
  }

  merge(...others: (Result | undefined)[]): this {
    for (const o of others) {
      if (!o) continue;
      for (const e of o.errors) this.add(e);
      this.matchCount += o.matchCount;
    }
    return this;
  }

  get valid(): boolean {
    return this.errors.length === 0;
  }
}

function errResult(e: OErr): Result {
  const r = new Result();
  r.add(e);
  return r;
}

const IN = 'body';

/** Go's %q for the strings these messages quote. */
function q(s: string): string {
  return JSON.stringify(s);
}

function v(code: Code, name: string, message: string, extra: { value?: unknown; valid?: number; values?: readonly unknown[] } = {}): OErr {
  return { kind: 'validation', code, name, message, ...extra };
}

function invalidType(name: string, typeName: string, value: string): OErr {
  return v('invalidType', name, `${name} in ${IN} must be of type ${typeName}: ${q(value)}`, { value });
}

/** %v of a number as Go holds it (int64 for integral JSON numbers, float64 otherwise). */
function num(n: number): string {
  return goNumber(n);
}

// ---------------------------------------------------------------------------
// Values as the validator sees them

type DataKind = 'string' | 'int' | 'float' | 'bool' | 'array' | 'object';

function kindOf(d: unknown): DataKind {
  if (typeof d === 'string') return 'string';
  if (typeof d === 'boolean') return 'bool';
  if (typeof d === 'number') return isGoInt(d) ? 'int' : 'float';
  if (Array.isArray(d)) return 'array';
  return 'object';
}

function isObject(d: unknown): d is Record<string, unknown> {
  return typeof d === 'object' && d !== null && !Array.isArray(d);
}

/** The schema type and format of a value, as typeValidator.schemaInfoForType names them. */
function schemaInfo(d: unknown): [string, string] {
  switch (kindOf(d)) {
    case 'string': return ['string', ''];
    case 'bool': return ['boolean', ''];
    case 'int': return ['integer', 'int64'];
    case 'float': return ['number', 'float64'];
    case 'array': return ['array', ''];
    default: return ['object', ''];
  }
}

/** The types the OpenAPI form of a node has: int-or-string is [integer, string]. */
function typesOf(s: Props): string[] {
  if (s.xIntOrString) return ['integer', 'string'];
  return s.type ? [s.type] : [];
}

/** The format kept for validation (unsupported ones are stripped, as upstream does). */
function formatOf(s: Props): string {
  const t = typesOf(s);
  return effectiveFormat(t.length === 1 ? t[0] : '', s.format);
}

// ---------------------------------------------------------------------------
// Correlation with the old object (ratcheting)

interface Corr { old: unknown }

function corrKey(corr: Corr | undefined, data: Record<string, unknown>, k: string, atRoot: boolean): Corr | undefined {
  if (!corr || !isObject(corr.old)) return undefined;
  if (atRoot && (k === 'kind' || k === 'apiVersion')) return undefined;
  if (!Object.prototype.hasOwnProperty.call(data, k) || !Object.prototype.hasOwnProperty.call(corr.old, k)) return undefined;
  return { old: corr.old[k] };
}

function corrIndex(corr: Corr | undefined, s: Props, item: unknown): Corr | undefined {
  if (!corr || !Array.isArray(corr.old) || s.xListType !== 'map' || !isObject(item)) return undefined;
  const keys = s.xListMapKeys ?? [];
  for (const o of corr.old) {
    if (!isObject(o)) continue;
    if (keys.every((k) => deepEqualJSON(item[k], o[k]))) return { old: o };
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// The validators, in kube-openapi's order

interface Ctx { rootPath: string }

function validateNode(s: Props, data: unknown, path: string, corr: Corr | undefined, ctx: Ctx): Result {
  const result = new Result();
  if (data === null || data === undefined) {
    result.merge(typeValidate(s, null, path));
    result.merge(enumValidate(s, null, path));
    return result;
  }
  const kind = kindOf(data);
  const run = (r: Result | undefined) => {
    result.merge(r);
    result.matchCount++;
  };
  if (typesOf(s).length > 0 || s.format) run(typeValidate(s, data, path));
  run(schemaPropsValidate(s, data, path, corr, ctx));
  if (kind === 'string') run(stringValidate(s, data as string, path));
  const fmt = formatOf(s);
  if (kind === 'string' && fmt && isKnownStringFormat(fmt)) run(formatValidate(fmt, data as string, path));
  if (kind === 'int' || kind === 'float') run(numberValidate(s, data as number, path));
  if (kind === 'array') run(sliceValidate(s, data as unknown[], path, corr, ctx));
  run(enumValidate(s, data, path));
  if (kind === 'object') run(objectValidate(s, data as Record<string, unknown>, path, corr, ctx));
  result.matchCount++;
  return result;
}

/** A child value's validation, ratcheted: errors vanish when it equals the old value. */
function validateChild(s: Props, data: unknown, path: string, corr: Corr | undefined, ctx: Ctx): Result {
  const r = validateNode(s, data, path, corr, ctx);
  if (!r.valid && corr && deepEqualJSON(data, corr.old)) {
    const kept = new Result();
    kept.matchCount = r.matchCount;
    return kept;
  }
  return r;
}

function typeValidate(s: Props, data: unknown, path: string): Result {
  const types = typesOf(s);
  const format = formatOf(s);
  const result = new Result();
  result.matchCount++;
  if (data === null || data === undefined) {
    if (types.length > 0 && !types.includes('null') && !s.nullable) return errResult(invalidType(path, types.join(','), 'null'));
    return result;
  }
  const [schType, fmt] = schemaInfo(data);
  const kind = kindOf(data);
  const isIntFloat = schType === 'integer' && types.includes('number');
  const stringOrSlice = kind === 'string' || kind === 'array';
  if (!stringOrSlice && format !== '' && !(types.includes(schType) || fmt === format || isIntFloat)) {
    return errResult(invalidType(path, format, fmt));
  }
  if (!(types.includes('number') || types.includes('integer')) && format !== '' && stringOrSlice) return result;
  if (!(types.includes(schType) || isIntFloat)) return errResult(invalidType(path, types.join(','), schType));
  return result;
}

function stringValidate(s: Props, data: string, path: string): Result | undefined {
  const len = [...data].length;
  if (s.maxLength !== undefined && len > s.maxLength) {
    return errResult(v('tooLong', path, `${path} in ${IN} should be at most ${s.maxLength} chars long`, { value: data, valid: s.maxLength }));
  }
  if (s.minLength !== undefined && len < s.minLength) {
    return errResult(v('tooShort', path, `${path} in ${IN} should be at least ${s.minLength} chars long`, { value: data, valid: s.minLength }));
  }
  if (s.pattern) {
    let re: RegExp;
    try {
      re = compileGoRegexp(s.pattern);
    } catch (e) {
      return errResult(v('pattern', path, `${path} in ${IN} should match '${s.pattern}, but pattern is invalid: ${(e as Error).message}'`, { value: data }));
    }
    re.lastIndex = 0;
    if (!re.test(data)) return errResult(v('pattern', path, `${path} in ${IN} should match '${s.pattern}'`, { value: data }));
  }
  return undefined;
}

function formatValidate(format: string, data: string, path: string): Result | undefined {
  if (checkStringFormat(format, data)) return undefined;
  return errResult(invalidType(path, format, data));
}

/** kube-openapi's IsValueValidAgainstRange: a plain error when the number does not fit the type/format. */
function rangeCheck(val: number, typeName: string, format: string, prefix: string, path: string): OErr | undefined {
  let bad = false;
  if (typeName === 'integer') {
    bad = !isGoInt(val) || (format === 'int32' && (val < -(2 ** 31) || val > 2 ** 31 - 1));
  } else if (format === 'float' || format === 'float32') {
    bad = Math.abs(val) > 3.4028234663852886e38;
  }
  if (!bad) return undefined;
  const message = format !== ''
    ? `${prefix} value must be of type ${typeName} with format ${format} in ${path}`
    : `${prefix} value must be of type ${typeName} (default format) in ${path}`;
  return { kind: 'plain', message };
}

/** swag.IsFloat64AJSONInteger. */
function isFloatAJSONInteger(f: number): boolean {
  if (!Number.isFinite(f) || f < -(2 ** 53) || f > 2 ** 53) return false;
  const g = Math.trunc(f);
  if (f === g) return true;
  const diff = Math.abs(f - g);
  return diff / (Math.abs(f) + Math.abs(g)) < 1e-9;
}

function numberValidate(s: Props, val: number, path: string): Result {
  const types = typesOf(s);
  let typeName = '', format = '';
  if (types.length === 1) {
    if (types[0] === 'integer') {
      typeName = 'integer';
      if (s.format === 'int32' || s.format === 'int64') format = s.format;
    } else if (types[0] === 'number') {
      typeName = 'number';
      if (s.format === 'float' || s.format === 'double') format = s.format;
    }
  }
  const res = new Result();
  const resMultiple = new Result(), resMinimum = new Result(), resMaximum = new Result();
  res.add(rangeCheck(val, typeName, format, 'Checked', path));
  const valueIsInt = isGoInt(val);

  if (s.multipleOf !== undefined) {
    const factor = s.multipleOf;
    const rangeErr = rangeCheck(factor, typeName, format, 'MultipleOf', path);
    resMultiple.add(rangeErr);
    const floatCheck = () => {
      if (factor <= 0) return v('multipleOfMustBePositive', path, `factor MultipleOf declared for ${path} must be positive: ${goFloat(factor)}`, { value: factor });
      const mult = factor < 1 ? (1 / factor) * val : val / factor;
      if (!isFloatAJSONInteger(mult)) return v('multipleOf', path, `${path} in ${IN} should be a multiple of ${goFloat(factor)}`, { value: val });
      return undefined;
    };
    if (!rangeErr && valueIsInt) {
      const f = Math.trunc(factor);
      if (f <= 0) resMultiple.add(v('multipleOfMustBePositive', path, `factor MultipleOf declared for ${path} must be positive: ${f}`, { value: f }));
      else if (Math.trunc(val / f) * f !== val) resMultiple.add(v('multipleOf', path, `${path} in ${IN} should be a multiple of ${f}`, { value: val }));
    } else {
      resMultiple.add(floatCheck());
    }
  }

  const bound = (limit: number, exclusive: boolean, max: boolean): OErr | undefined => {
    const prefix = max ? 'Maximum boundary' : 'Minimum boundary';
    const rangeErr = rangeCheck(limit, typeName, format, prefix, path);
    const target = max ? resMaximum : resMinimum;
    target.add(rangeErr);
    const useInt = !rangeErr && valueIsInt;
    const l = useInt ? Math.trunc(limit) : limit;
    const shown = useInt ? String(l) : goFloat(limit);
    const fails = max ? (exclusive ? val >= l : val > l) : (exclusive ? val <= l : val < l);
    if (!fails) return undefined;
    const rel = max ? (exclusive ? 'less than' : 'less than or equal to') : (exclusive ? 'greater than' : 'greater than or equal to');
    return v(max ? 'max' : 'min', path, `${path} in ${IN} should be ${rel} ${shown}`, { value: val });
  };
  if (s.maximum !== undefined) resMaximum.add(bound(s.maximum, s.exclusiveMaximum === true, true));
  if (s.minimum !== undefined) resMinimum.add(bound(s.minimum, s.exclusiveMinimum === true, false));
  res.merge(resMultiple, resMinimum, resMaximum);
  res.matchCount++;
  return res;
}

function sliceValidate(s: Props, data: unknown[], path: string, corr: Corr | undefined, ctx: Ctx): Result {
  const result = new Result();
  const items = itemsSchema(s);
  if (items) {
    data.forEach((item, i) => {
      result.merge(validateChild(items, item, `${path}[${i}]`, corrIndex(corr, s, item), ctx));
    });
  } else if (Array.isArray(s.items)) {
    s.items.forEach((sch, i) => {
      if (i < data.length) result.merge(validateNode(sch, data[i], `${path}[${i}]`, undefined, ctx));
    });
  }
  const size = data.length;
  if (s.minItems !== undefined && size < s.minItems) {
    result.add(v('minItems', path, `${path} in ${IN} should have at least ${s.minItems} items`, { value: size, valid: s.minItems }));
  }
  if (s.maxItems !== undefined && size > s.maxItems) {
    result.add(v('maxItems', path, `${path} in ${IN} should have at most ${s.maxItems} items`, { value: size, valid: s.maxItems }));
  }
  if (s.uniqueItems) {
    const dup = data.some((x, i) => data.slice(0, i).some((y) => deepEqualJSON(x, y)));
    if (dup) result.add(v('unique', path, `${path} in ${IN} shouldn't contain duplicates`));
  }
  result.matchCount++;
  return result;
}

/** Whether data equals an enum value after Go's reflect conversion to the enum value's type. */
function enumMatches(data: unknown, e: unknown): boolean {
  if (data === null || data === undefined || e === null || e === undefined) return false;
  if (typeof e === 'number') {
    if (typeof data !== 'number') return false;
    return isGoInt(e) ? Math.trunc(data) === e : data === e;
  }
  if (typeof e === 'string') {
    if (typeof data === 'string') return data === e;
    // An int64 converts to a string of one rune.
    if (typeof data === 'number' && isGoInt(data)) {
      const ch = data >= 0 && data <= 0x10ffff && !(data >= 0xd800 && data <= 0xdfff) ? String.fromCodePoint(data) : '\ufffd';
      return ch === e;
    }
    return false;
  }
  if (typeof e === 'boolean') return data === e;
  if (Array.isArray(e)) return Array.isArray(data) && deepEqualJSON(data, e);
  return isObject(data) && deepEqualJSON(data, e);
}

function enumValidate(s: Props, data: unknown, path: string): Result | undefined {
  if (!s.enum || s.enum.length === 0) return undefined;
  if (s.enum.some((e) => enumMatches(data, e))) return undefined;
  return errResult(v('enum', path, `${path} in ${IN} should be one of [${s.enum.map(goValue).join(' ')}]`, { value: data, values: s.enum }));
}

function objectValidate(s: Props, data: Record<string, unknown>, path: string, corr: Corr | undefined, ctx: Ctx): Result {
  const res = new Result();
  const keys = Object.keys(data);
  const n = keys.length;
  if (s.minProperties !== undefined && n < s.minProperties) {
    res.add(v('tooFewProperties', path, `${path} in ${IN} should have at least ${s.minProperties} properties`, { value: n, valid: s.minProperties }));
  }
  if (s.maxProperties !== undefined && n > s.maxProperties) {
    res.add(v('tooManyProperties', path, `${path} in ${IN} should have at most ${s.maxProperties} properties`, { value: n, valid: s.maxProperties }));
  }
  const atRoot = path === ctx.rootPath;
  if (s.additionalProperties === false) {
    for (const k of keys) {
      if (s.properties?.has(k)) continue;
      if (s.patternProperties && [...s.patternProperties.keys()].some((p) => safeMatch(p, k))) continue;
      res.add(v('unallowedProperty', path, `${path}.${k} in ${IN} is a forbidden property`, { value: k }));
    }
  } else {
    const ap = additionalSchema(s);
    for (const k of keys) {
      if (s.properties?.has(k)) continue;
      if (ap) res.merge(validateChild(ap, data[k], `${path}.${k}`, corrKey(corr, data, k, atRoot), ctx));
    }
  }
  for (const [name, ps] of s.properties ?? []) {
    if (!Object.prototype.hasOwnProperty.call(data, name)) continue;
    const rName = path === '' ? name : `${path}.${name}`;
    res.merge(validateChild(ps, data[name], rName, corrKey(corr, data, name, atRoot), ctx));
  }
  for (const k of s.required ?? []) {
    if (!Object.prototype.hasOwnProperty.call(data, k)) res.add(v('required', `${path}.${k}`, `${path}.${k} in ${IN} is required`));
  }
  return res;
}

function safeMatch(pattern: string, s: string): boolean {
  try {
    return compileGoRegexp(pattern).test(s);
  } catch {
    return false;
  }
}

function schemaPropsValidate(s: Props, data: unknown, path: string, corr: Corr | undefined, ctx: Ctx): Result {
  const main = new Result();
  const qp = q(path);
  if (s.anyOf && s.anyOf.length > 0) {
    let best: Result | undefined, firstSuccess: Result | undefined;
    let succeeded = false;
    for (const sub of s.anyOf) {
      const r = validateNode(sub, data, path, corr, ctx);
      if (r.valid) {
        best = undefined;
        succeeded = true;
        firstSuccess ??= r;
        break;
      }
      if (!best || r.matchCount > best.matchCount) best = r;
    }
    if (!succeeded) main.add({ kind: 'plain', message: `${qp} must validate at least one schema (anyOf)` });
    if (best) main.merge(best);
    else if (firstSuccess) main.merge(firstSuccess);
  }
  if (s.oneOf && s.oneOf.length > 0) {
    let best: Result | undefined, firstSuccess: Result | undefined;
    let validated = 0;
    for (const sub of s.oneOf) {
      const r = validateNode(sub, data, path, corr, ctx);
      if (r.valid) {
        validated++;
        best = undefined;
        firstSuccess ??= r;
        continue;
      }
      if (validated === 0 && (!best || r.matchCount > best.matchCount)) best = r;
    }
    if (validated !== 1) {
      const more = validated === 0 ? 'Found none valid' : `Found ${validated} valid alternatives`;
      main.add({ kind: 'plain', message: `${qp} must validate one and only one schema (oneOf). ${more}` });
      if (best) main.merge(best);
    } else if (firstSuccess) {
      main.merge(firstSuccess);
    }
  }
  if (s.allOf && s.allOf.length > 0) {
    let validated = 0;
    for (const sub of s.allOf) {
      const r = validateNode(sub, data, path, corr, ctx);
      if (r.valid) validated++;
      main.merge(r);
    }
    if (validated !== s.allOf.length) {
      main.add({ kind: 'plain', message: `${qp} must validate all the schemas (allOf)${validated === 0 ? '. None validated' : ''}` });
    }
  }
  if (s.not) {
    const r = validateNode(s.not, data, path, corr, ctx);
    if (r.valid) main.add({ kind: 'plain', message: `${qp} must not validate the schema (not)` });
  }
  main.matchCount++;
  return main;
}

// ---------------------------------------------------------------------------
// Conversion to field errors (apiextensions-apiserver's kubeOpenAPIResultToFieldErrors)

/** field.Path printing for a nil path. */
const NIL_PATH = '<nil>';

function toFieldErrors(base: string | undefined, errs: readonly OErr[]): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errs) {
    if (e.kind === 'plain') {
      out.push(fieldError.invalid(base ?? NIL_PATH, '', e.message));
      continue;
    }
    let path = base;
    if (e.name !== '' && e.name !== '.') {
      const n = e.name.startsWith('.') ? e.name.slice(1) : e.name;
      path = base === undefined ? n : `${base}.${n}`;
    }
    const field = path ?? NIL_PATH;
    const value = e.value === undefined || e.value === null ? '' : sortedJSON(e.value);
    switch (e.code) {
      case 'required':
        out.push(fieldError.required(field, ''));
        break;
      case 'enum': {
        const values = (e.values ?? []).map((x) => (typeof x === 'string' ? x : goJSON(x)));
        out.push({ type: 'FieldValueNotSupported', field, value: e.value === undefined ? null : sortedJSON(e.value), supported: values });
        break;
      }
      case 'tooLong': {
        const max = e.valid ?? -1;
        out.push({ type: 'FieldValueTooLong', field, value: '<value omitted>', detail: max >= 0 ? `may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}` : 'value is too long' });
        break;
      }
      case 'maxItems':
      case 'tooManyProperties': {
        const max = e.valid ?? -1;
        out.push({ type: 'FieldValueTooMany', field, value: e.value, detail: max >= 0 ? `must have at most ${max} ${max === 1 ? 'item' : 'items'}` : 'has too many items' });
        break;
      }
      case 'invalidType':
        out.push({ type: 'FieldValueTypeInvalid', field, value, detail: e.message });
        break;
      default:
        out.push(fieldError.invalid(field, value, e.message));
    }
  }
  return out;
}

export interface SchemaValidationOptions {
  /**
   * Where the validated value sits: errors are reported below it ('status' for
   * a status update, `...default` for a schema default). Undefined: the object
   * root, where errors without a field print as `<nil>`.
   */
  basePath?: string;
  /** The old value, for ratcheting on update: errors in unchanged values are dropped. */
  old?: unknown;
  /** Ratchet against `old` (set for updates). */
  ratchet?: boolean;
}

/**
 * Validate a JSON value against a schema the way kube-apiserver validates
 * custom resources (ValidateCustomResource / ValidateCustomResourceUpdate).
 */
export function validateValue(value: unknown, schema: Props, opts: SchemaValidationOptions = {}): FieldError[] {
  const ctx: Ctx = { rootPath: '' };
  const corr = opts.ratchet ? { old: opts.old } : undefined;
  const r = validateChild(schema, value, '', corr, ctx);
  return toFieldErrors(opts.basePath, r.errors);
}

// ---------------------------------------------------------------------------
// Embedded resources (schemaobjectmeta.Validate)

/** schema.ParseGroupVersion's error, if any. */
function parseGroupVersionError(gv: string): string | undefined {
  if (gv === '' || gv === '/') return undefined;
  const slashes = gv.split('/').length - 1;
  if (slashes > 1) return `unexpected GroupVersion string: ${gv}`;
  return undefined;
}

function validateEmbeddedResource(path: string, x: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  if (!Object.prototype.hasOwnProperty.call(x, 'apiVersion')) errs.push(fieldError.required(child(path, 'apiVersion'), ''));
  if (!Object.prototype.hasOwnProperty.call(x, 'kind')) errs.push(fieldError.required(child(path, 'kind'), ''));
  for (const [k, val] of Object.entries(x)) {
    if (k === 'apiVersion') {
      if (typeof val !== 'string') errs.push(fieldError.invalid(child(path, 'apiVersion'), val ?? null, 'must be a string'));
      else if (val.length === 0) errs.push(fieldError.invalid(child(path, 'apiVersion'), val, 'must not be empty'));
      else {
        const e = parseGroupVersionError(val);
        if (e) errs.push(fieldError.invalid(child(path, 'apiVersion'), val, e));
      }
    } else if (k === 'kind') {
      if (typeof val !== 'string') errs.push(fieldError.invalid(child(path, 'kind'), val ?? null, 'must be a string'));
      else if (val.length === 0) errs.push(fieldError.invalid(child(path, 'kind'), val, 'must not be empty'));
      else {
        const m = isDNS1035Label(val.toLowerCase());
        if (m.length > 0) errs.push(fieldError.invalid(child(path, 'kind'), val, `may have mixed case, but should otherwise match: ${m.join(',')}`));
      }
    } else if (k === 'metadata') {
      if (val === null || val === undefined) continue;
      if (!isObject(val)) {
        errs.push(fieldError.invalid(child(path, 'metadata'), val, `json: cannot unmarshal ${jsonKind(val)} into Go value of type v1.ObjectMeta`));
        continue;
      }
      const meta = { ...val };
      if (typeof meta.name !== 'string' || meta.name === '') meta.name = 'fakename';
      const namespaced = typeof meta.namespace === 'string' && meta.namespace.length > 0;
      errs.push(...validateObjectMeta(meta, { namespaced, nameValidator: nameIsPathSegment }, child(path, 'metadata')));
    }
  }
  return errs;
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function walkEmbedded(path: string, x: unknown, s: Props | undefined, errs: FieldError[], depth: number): void {
  if (!s || depth > 512) return;
  if (isObject(x)) {
    if (s.xEmbeddedResource) errs.push(...validateEmbeddedResource(path, x));
    const ap = additionalSchema(s);
    for (const [k, val] of Object.entries(x)) {
      const prop = s.properties?.get(k);
      if (prop) walkEmbedded(child(path, k), val, prop, errs, depth + 1);
      else if (s.additionalProperties !== undefined) walkEmbedded(key(path, k), val, ap, errs, depth + 1);
    }
  } else if (Array.isArray(x)) {
    const items = itemsSchema(s);
    x.forEach((val, i) => walkEmbedded(index(path, i), val, items, errs, depth + 1));
  }
}

/** apiVersion, kind and metadata of every embedded resource in an object (not the object itself). */
export function validateEmbeddedResources(obj: unknown, schema: Props): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObject(obj)) return errs;
  const ap = additionalSchema(schema);
  for (const [k, val] of Object.entries(obj)) {
    const prop = schema.properties?.get(k);
    if (prop) walkEmbedded(k, val, prop, errs, 1);
    else if (schema.additionalProperties !== undefined) walkEmbedded(key('', k), val, ap, errs, 1);
  }
  return errs;
}

// ---------------------------------------------------------------------------
// x-kubernetes-list-type: set and map (structurallisttype.ValidateListSetsAndMaps)

function setKey(x: unknown): string {
  return (isObject(x) || Array.isArray(x)) ? `c:${goJSON(x)}` : `s:${typeof x}:${x === null ? 'null' : String(x)}`;
}

/** Indices of the second occurrence of each repeated value. */
function nonUnique(values: readonly unknown[], keyOf: (x: unknown) => string = setKey): number[] {
  if (values.length <= 1) return [];
  const seen = new Map<string, number>();
  const out: number[] = [];
  values.forEach((x, i) => {
    const k = keyOf(x);
    const times = seen.get(k);
    if (times === undefined) seen.set(k, 1);
    else {
      seen.set(k, times + 1);
      if (times === 1) out.push(i);
    }
  });
  return out;
}

const UNSPECIFIED = '\u0000unspecified';

function validateListMap(path: string, s: Props, list: unknown[]): FieldError[] {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x !== null && x !== undefined && !isObject(x)) return [fieldError.invalid(index(path, i), x, 'must be an object for an array of list-type map')];
  }
  if (list.length <= 1) return [];
  const keys = s.xListMapKeys ?? [];
  if (keys.length === 1) {
    const k = keys[0]!;
    const vals = list.map((x) => (isObject(x) && Object.prototype.hasOwnProperty.call(x, k) ? x[k] : UNSPECIFIED));
    return nonUnique(vals, (x) => (x === UNSPECIFIED ? UNSPECIFIED : setKey(x))).map((i) =>
      fieldError.duplicate(index(path, i), vals[i] === UNSPECIFIED ? {} : sortedJSON({ [k]: vals[i] })));
  }
  const composite = list.map((x) => {
    const out: Record<string, unknown> = {};
    if (isObject(x)) for (const k of keys) if (Object.prototype.hasOwnProperty.call(x, k)) out[k] = x[k];
    return out;
  });
  return nonUnique(composite).map((i) => fieldError.duplicate(index(path, i), sortedJSON(composite[i])));
}

function listWalk(path: string, s: Props, x: unknown, errs: FieldError[], depth: number): void {
  if (depth > 512) return;
  if (Array.isArray(x)) {
    if (s.xListType === 'set') {
      for (const i of nonUnique(x)) errs.push(fieldError.duplicate(index(path, i), sortedJSON(x[i] ?? null)));
    } else if (s.xListType === 'map') {
      errs.push(...validateListMap(path, s, x));
    }
    const items = itemsSchema(s);
    if (items) x.forEach((item, i) => listWalk(index(path, i), items, item, errs, depth + 1));
  } else if (isObject(x)) {
    listObject(path, s, x, errs, depth + 1);
  }
}

function listObject(path: string, s: Props, obj: Record<string, unknown>, errs: FieldError[], depth: number): void {
  const ap = additionalSchema(s);
  if (ap) for (const [k, val] of Object.entries(obj)) listWalk(key(path, k), ap, val, errs, depth);
  if (s.properties) {
    for (const [k, val] of Object.entries(obj)) {
      const sub = s.properties.get(k);
      if (sub) listWalk(child(path, k), sub, val, errs, depth);
    }
  }
}

/** Duplicates in lists of x-kubernetes-list-type set (values) and map (keys). */
export function validateListSetsAndMaps(obj: unknown, schema: Props): FieldError[] {
  const errs: FieldError[] = [];
  if (isObject(obj)) listObject('', schema, obj, errs, 0);
  return errs;
}

// ---------------------------------------------------------------------------
// The scale subresource's replica paths

export interface ScalePaths {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** unstructured.NestedFieldNoCopy followed by a type check, with its error texts. */
function nested(obj: unknown, dotted: string, want: 'int64' | 'string'): { value: unknown; found: boolean; err?: string } {
  const fields = dotted.replace(/^\./, '').split('.');
  let cur: unknown = obj;
  for (let i = 0; i < fields.length; i++) {
    if (isObject(cur)) {
      if (!Object.prototype.hasOwnProperty.call(cur, fields[i]!)) return { value: undefined, found: false };
      cur = cur[fields[i]!];
    } else {
      if (cur === null || cur === undefined) return { value: undefined, found: false };
      const at = `.${fields.slice(0, i).join('.')}`;
      return { value: undefined, found: false, err: `${at} accessor error: ${goValue(cur)} is of the type ${goTypeOf(cur)}, expected map[string]interface{}` };
    }
  }
  const ok = want === 'int64' ? typeof cur === 'number' && isGoInt(cur) : typeof cur === 'string';
  if (!ok) {
    return { value: cur, found: true, err: `.${fields.join('.')} accessor error: ${goValue(cur)} is of the type ${goTypeOf(cur)}, expected ${want}` };
  }
  return { value: cur, found: true };
}

function replicasErrors(obj: unknown, path: string): FieldError[] {
  const r = nested(obj, path, 'int64');
  if (r.err) return [fieldError.invalid(path, 0, r.err)];
  const n = r.found ? (r.value as number) : 0;
  if (n < 0) return [fieldError.invalid(path, n, 'should be a non-negative integer')];
  if (n > 2147483647) return [fieldError.invalid(path, n, 'should be less than or equal to 2147483647')];
  return [];
}

export function validateScaleSpec(obj: unknown, scale: ScalePaths | undefined): FieldError[] {
  if (!scale) return [];
  return replicasErrors(obj, scale.specReplicasPath);
}

export function validateScaleStatus(obj: unknown, scale: ScalePaths | undefined): FieldError[] {
  if (!scale) return [];
  const errs = replicasErrors(obj, scale.statusReplicasPath);
  if (scale.labelSelectorPath !== undefined) {
    const r = nested(obj, scale.labelSelectorPath, 'string');
    if (r.err) errs.push(fieldError.invalid(scale.labelSelectorPath, '', r.err));
  }
  return errs;
}

// ---------------------------------------------------------------------------
// A whole custom resource (the strategy's Validate / ValidateUpdate / status update)

export interface CustomResourceContext {
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  /** The version's schema; undefined validates nothing beyond metadata. */
  schema: Props | undefined;
  scale?: ScalePaths;
}

function typeMetaErrors(obj: Record<string, unknown>, ctx: CustomResourceContext): FieldError[] {
  const errs: FieldError[] = [];
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  if (kind !== ctx.kind) errs.push(fieldError.invalid('kind', kind, `must be ${ctx.kind}`));
  const want = `${ctx.group}/${ctx.version}`;
  if (apiVersion !== want) errs.push(fieldError.invalid('apiVersion', apiVersion, `must be ${want}`));
  return errs;
}

/** Create-time validation of a custom resource (upstream's customResourceStrategy.Validate). */
export function validateCustomResource(obj: unknown, ctx: CustomResourceContext): FieldError[] {
  if (!isObject(obj)) return [fieldError.invalid('', obj ?? null, 'must be an object')];
  const tm = typeMetaErrors(obj, ctx);
  if (tm.length > 0) return tm;
  const errs: FieldError[] = [];
  errs.push(...validateObjectMeta(obj.metadata, { namespaced: ctx.namespaced, nameValidator: nameIsDNSSubdomain, rules: 'generic' }));
  if (ctx.schema) errs.push(...validateValue(obj, ctx.schema));
  errs.push(...validateScaleSpec(obj, ctx.scale), ...validateScaleStatus(obj, ctx.scale));
  if (ctx.schema) {
    errs.push(...validateEmbeddedResources(obj, ctx.schema));
    errs.push(...validateListSetsAndMaps(obj, ctx.schema));
    errs.push(...celErrors(obj, undefined, ctx.schema, errs));
  }
  return errs;
}

/** x-kubernetes-validations, unless the object already failed in a way that blocks them. */
function celErrors(obj: unknown, old: unknown, schema: Props, errs: readonly FieldError[]): FieldError[] {
  if (!hasValidationRules(schema)) return [];
  const block = blockingError(errs);
  if (block) return [block];
  return validateCELRules(obj, schema, old === undefined ? {} : { old });
}

/**
 * Update-time validation (customResourceStrategy.ValidateUpdate): metadata
 * transition, the schema ratcheted against the old object, list sets/maps only
 * when the old object had no duplicates.
 */
export function validateCustomResourceUpdate(obj: unknown, old: unknown, ctx: CustomResourceContext): FieldError[] {
  if (!isObject(obj)) return [fieldError.invalid('', obj ?? null, 'must be an object')];
  const tm = typeMetaErrors(obj, ctx);
  if (tm.length > 0) return tm;
  const oldObj = isObject(old) ? old : {};
  const errs: FieldError[] = [];
  errs.push(...validateObjectMetaUpdate(obj.metadata, oldObj.metadata, 'metadata', 'generic'));
  if (ctx.schema) errs.push(...validateValue(obj, ctx.schema, { old: oldObj, ratchet: true }));
  errs.push(...validateScaleSpec(obj, ctx.scale), ...validateScaleStatus(obj, ctx.scale));
  if (ctx.schema) {
    errs.push(...validateEmbeddedResources(obj, ctx.schema));
    if (validateListSetsAndMaps(oldObj, ctx.schema).length === 0) errs.push(...validateListSetsAndMaps(obj, ctx.schema));
    errs.push(...celErrors(obj, oldObj, ctx.schema, errs));
  }
  return errs;
}

/**
 * Validation of a write to the status subresource (statusStrategy.ValidateUpdate):
 * only `status` against its schema (errors below `status`, worded relative to it),
 * the scale status paths, and list sets/maps when the old object had no duplicates.
 */
export function validateCustomResourceStatusUpdate(obj: unknown, old: unknown, ctx: CustomResourceContext): FieldError[] {
  if (!isObject(obj)) return [fieldError.invalid('', obj ?? null, 'must be an object')];
  const tm = typeMetaErrors(obj, ctx);
  if (tm.length > 0) return tm;
  const oldObj = isObject(old) ? old : {};
  const errs: FieldError[] = [];
  errs.push(...validateObjectMetaUpdate(obj.metadata, oldObj.metadata, 'metadata', 'generic'));
  const statusSchema = ctx.schema?.properties?.get('status');
  if (Object.prototype.hasOwnProperty.call(obj, 'status') && statusSchema) {
    const hasOld = Object.prototype.hasOwnProperty.call(oldObj, 'status');
    errs.push(...validateValue(obj.status, statusSchema, { basePath: 'status', old: oldObj.status, ratchet: hasOld }));
  }
  errs.push(...validateScaleStatus(obj, ctx.scale));
  if (ctx.schema) {
    const newErrs = validateListSetsAndMaps(obj, ctx.schema);
    if (newErrs.length > 0 && validateListSetsAndMaps(oldObj, ctx.schema).length === 0) errs.push(...newErrs);
    errs.push(...celErrors(obj, oldObj, ctx.schema, errs));
  }
  return errs;
}
