// x-kubernetes-validations: CEL rules in CRD schemas, evaluated in Kubernetes'
// CEL environment (src/api/cel: @marcbachmann/cel-js with Kubernetes' libraries
// for strings, lists, sets, regex, URLs, quantities, IPs, CIDRs, formats and
// semver).
//
// At CRD validation: rules and messageExpressions must parse, and a call to a
// library function with arguments it has no overload for is a compile error
// (`found no matching overload for 'quantity' applied to '(int)'`); oldSelf
// may not be used below a list that is not a map list or a map that is atomic;
// optionalOldSelf only with oldSelf. At custom resource validation: every rule
// of every node with a value is evaluated with `self` (and `oldSelf` for
// transition rules, when the old object has a correlated value), as upstream's
// CEL validator walks objects. A rule that is false gives the rule's message
// (or messageExpression, or `failed rule: <rule>`) at the node's path (plus
// the rule's fieldPath), with the rule's reason. A library function's failure
// (a malformed quantity, URL, IP, ...) is `<error> evaluating rule: <rule>`.
// Unchanged values ratchet (their errors are dropped). Values are shown to
// rules as upstream's UnstructuredToVal shows them (toCel below): escaped
// property names, declared properties only, typed formatted strings.
//
// Differences with upstream: no static type checking against the schema (self
// is dyn, so only literal arguments of a wrong type are caught when the CRD is
// written) and no cost estimation or limits; a rule that calls a function no
// library declares, or fails in a way whose upstream text is unknown, is
// skipped rather than reported.

import type { Environment, ParseResult } from '@marcbachmann/cel-js';
import { cel as celLibrary, kubernetesEnvironment, LibraryError, overloadIssue } from '../../api/cel/index.ts';
import type { CelModule } from '../../api/cel/index.ts';
import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { child, index, key } from '../../api/validation/fieldpath.ts';
import { isBase64, isDate, isDateTime } from '../../api/validation/strfmt.ts';
import { escapeProperty } from '../../api/cel/escaping.ts';
import { isGoInt } from '../../api/jsonpath/values.ts';
import { additionalSchema, deepEqualJSON, itemsSchema, schemaHas } from './props.ts';
import type { Props, ValidationRule } from './props.ts';

let environment: Environment | undefined;

function cel(): { mod: CelModule; env: Environment } {
  environment ??= kubernetesEnvironment({ unlistedVariablesAreDyn: true });
  return { mod: celLibrary(), env: environment };
}

interface Compiled {
  rule: ValidationRule;
  program?: ParseResult;
  message?: ParseResult;
  usesOldSelf: boolean;
  /** Parse failure of the rule / the messageExpression (upstream-like text). */
  error?: string;
  messageError?: string;
  /** The rule's fieldPath as a field path relative to the node (`spec.x`, `a[b]`). */
  fieldPath: string;
}

const compiledCache = new WeakMap<Props, Compiled[]>();

function usesIdent(node: unknown, name: string, depth = 0): boolean {
  if (!node || typeof node !== 'object' || depth > 512) return false;
  const n = node as { op?: string; args?: unknown };
  if (n.op === 'id' && n.args === name) return true;
  const args = n.args;
  if (Array.isArray(args)) return args.some((a) => usesIdent(a, name, depth + 1) || (Array.isArray(a) && a.some((b) => usesIdent(b, name, depth + 1))));
  return usesIdent(args, name, depth + 1);
}

/** `<input>:LINE:COLUMN` of an offset, 1-based as cel-go prints it. */
function location(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return `<input>:${line}:${offset - (before.lastIndexOf('\n') + 1) + 1}`;
}

function compileError(e: unknown, prefix: string, text: string): string {
  const err = e as { message?: string; summary?: string; range?: { start: number } };
  const summary = (err.summary ?? err.message ?? String(e)).split('\n')[0]!;
  return `${prefix}: ERROR: ${location(text, err.range?.start ?? 0)}: ${summary}`;
}

/** A library function called with arguments it has no overload for, as a compile error. */
function checkError(program: ParseResult, text: string, prefix: string): string | undefined {
  const checked = program.check();
  if (checked.valid) return undefined;
  const issue = overloadIssue(text, checked.error);
  return issue ? `${prefix}: ERROR: ${location(text, issue.offset)}: ${issue.message}` : undefined;
}

/** Normalize a rule's fieldPath the way upstream prints it (`.spec.x` -> `spec.x`, `['a.b']` -> `[a.b]`). */
function normalizeFieldPath(p: string): string {
  let out = '';
  const re = /\.([^.[\]]+)|\['((?:[^'\\]|\\.)*)'\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(p)) !== null) {
    if (m[1] !== undefined) out += out === '' ? m[1] : `.${m[1]}`;
    else out += `[${m[2]!.replace(/\\(.)/g, '$1')}]`;
  }
  return out;
}

/** The compiled rules of one schema node (cached per node). */
function compile(s: Props): Compiled[] {
  const hit = compiledCache.get(s);
  if (hit) return hit;
  const out: Compiled[] = [];
  const { env } = cel();
  for (const rule of s.xValidations ?? []) {
    const c: Compiled = { rule, usesOldSelf: false, fieldPath: rule.fieldPath ? normalizeFieldPath(rule.fieldPath) : '' };
    try {
      c.program = env.parse(rule.rule);
      c.usesOldSelf = usesIdent(c.program.ast, 'oldSelf');
      c.error = checkError(c.program, rule.rule, 'compilation failed');
      if (c.error) c.program = undefined;
    } catch (e) {
      c.error = compileError(e, 'compilation failed', rule.rule);
    }
    if (rule.messageExpression.trim() !== '') {
      try {
        c.message = env.parse(rule.messageExpression);
        c.messageError = checkError(c.message, rule.messageExpression, 'messageExpression compilation failed');
        if (c.messageError) c.message = undefined;
      } catch (e) {
        c.messageError = compileError(e, 'messageExpression compilation failed', rule.messageExpression);
      }
    }
    out.push(c);
  }
  compiledCache.set(s, out);
  return out;
}

/** The internal ValidationRule struct as upstream prints it in errors. */
function ruleValue(r: ValidationRule): Record<string, unknown> {
  return {
    Rule: r.rule, Message: r.message, MessageExpression: r.messageExpression, Reason: r.reason ?? null,
    FieldPath: r.fieldPath, OptionalOldSelf: r.optionalOldSelf ?? null,
  };
}

/**
 * CRD-time checks of a node's rules that need the CEL library: parse errors,
 * oldSelf where old values cannot be correlated, optionalOldSelf without oldSelf.
 * `uncorrelatable` is the path of the nearest list or atomic map above that
 * breaks correlation, if any.
 */
export function celRuleErrors(s: Props, path: string, uncorrelatable: string | undefined): FieldError[] {
  if (!s.xValidations || s.xValidations.length === 0) return [];
  const errs: FieldError[] = [];
  compile(s).forEach((c, i) => {
    const rp = index(child(path, 'x-kubernetes-validations'), i);
    if (c.error) errs.push(fieldError.invalid(child(rp, 'rule'), ruleValue(c.rule), c.error));
    if (c.messageError) errs.push(fieldError.invalid(child(rp, 'messageExpression'), ruleValue(c.rule), c.messageError));
    if (c.error) return;
    if (c.usesOldSelf) {
      if (uncorrelatable !== undefined) {
        errs.push(fieldError.invalid(child(rp, 'rule'), c.rule.rule, `oldSelf cannot be used on the uncorrelatable portion of the schema within ${uncorrelatable}`));
      }
    } else if (c.rule.optionalOldSelf !== undefined) {
      errs.push(fieldError.invalid(child(rp, 'optionalOldSelf'), c.rule.optionalOldSelf, 'may not be set if oldSelf is not used in rule'));
    }
  });
  return errs;
}

/** Whether any node of the schema has x-kubernetes-validations. */
export function hasValidationRules(s: Props | undefined): boolean {
  return schemaHas(s, (x) => (x.xValidations?.length ?? 0) > 0);
}

// ---------------------------------------------------------------------------
// Evaluation

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Nanoseconds of kube-openapi's strfmt duration (Go's syntax, else `3 days`, `1w`...), undefined when malformed. */
export function strfmtDurationNanos(text: string): bigint | undefined {
  const go: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const sign = text.startsWith('-') ? -1n : 1n;
  const body = text.replace(/^[-+]/, '');
  if (body === '0') return 0n;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0n, end = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += BigInt(Math.round(Number(m[1]) * go[m[2]!]!));
    end = re.lastIndex;
  }
  if (body !== '' && end === body.length) return sign * total;
  const units: Array<[string[], bigint]> = [[['ns', 'nano'], 1n], [['us', 'µs', 'micro'], 1000n], [['ms', 'milli'], 1_000_000n], [['s', 'sec'], 1_000_000_000n],
    [['m', 'min'], 60_000_000_000n], [['h', 'hr', 'hour'], 3_600_000_000_000n], [['d', 'day'], 86_400_000_000_000n], [['w', 'wk', 'week'], 604_800_000_000_000n]];
  let ok = false;
  total = 0n;
  for (const m of text.matchAll(/((\d+)\s*([A-Za-zµ]+))/g)) {
    const unit = m[3]!.trim().toLowerCase();
    for (const [variants, mult] of units) {
      variants.forEach((v, i) => {
        if ((i === variants.length - 1 && unit.startsWith(v)) || v.toLowerCase() === unit) {
          ok = true;
          total += BigInt(m[2]!) * mult;
        }
      });
    }
  }
  return ok ? total : undefined;
}

let durationClass: (new (seconds: bigint, nanos: number) => unknown) | undefined;

/** A CEL duration of so many nanoseconds (the CEL library's own class). */
function celDuration(nanos: bigint): unknown {
  durationClass ??= (cel().env.evaluate("duration('0s')") as { constructor: new (seconds: bigint, nanos: number) => unknown }).constructor;
  return new durationClass(nanos / 1_000_000_000n, Number(nanos % 1_000_000_000n));
}

/** A string of a schema with `format` duration, date, date-time or byte as CEL sees it (upstream: a typed value). */
function formattedString(v: string, format: string | undefined): unknown {
  switch (format) {
    case 'duration': {
      const n = strfmtDurationNanos(v);
      return n === undefined ? v : celDuration(n);
    }
    case 'date':
      return isDate(v) ? new Date(`${v}T00:00:00Z`) : v;
    case 'date-time': {
      const d = isDateTime(v) ? new Date(v.toUpperCase()) : undefined;
      return d && !Number.isNaN(d.getTime()) ? d : v;
    }
    case 'byte':
      return isBase64(v) ? new Uint8Array(Buffer.from(v, 'base64')) : v;
    default:
      return v;
  }
}

/** The properties a resource's root (or an embedded resource) shows CEL: its own, with kind, apiVersion and metadata.name/generateName. */
function withTypeAndObjectMeta(s: Props): Map<string, Props> {
  const props = new Map(s.properties ?? []);
  const str: Props = { type: 'string', raw: {} };
  props.set('kind', str);
  props.set('apiVersion', str);
  props.set('metadata', { type: 'object', properties: new Map([['name', str], ['generateName', str]]), raw: {} });
  return props;
}

/**
 * A JSON value as CEL sees it under a schema (upstream's UnstructuredToVal):
 * integers as CEL ints (bigint), numbers as doubles, formatted strings as
 * durations, timestamps and bytes; an object with properties shows only
 * them, under their escaped names (`__namespace__`), null ones as absent;
 * a map (additionalProperties) all its keys; an object with neither (kept
 * unknown fields) nothing. The root of a resource (and an embedded one)
 * shows apiVersion, kind and metadata's name and generateName.
 */
function toCel(v: unknown, s: Props | undefined, depth = 0, resourceRoot = false): unknown {
  if (depth > 256) return v;
  if (typeof v === 'number') {
    if (s?.type === 'number') return v;
    return isGoInt(v) ? BigInt(v) : v;
  }
  if (typeof v === 'string') return s?.type === 'string' ? formattedString(v, s.format) : v;
  if (Array.isArray(v)) {
    const items = s ? itemsSchema(s) : undefined;
    return v.map((x) => toCel(x, items, depth + 1));
  }
  if (isObj(v)) {
    if (!s) return v;
    const props = resourceRoot || s.xEmbeddedResource ? withTypeAndObjectMeta(s) : s.properties;
    const out: Record<string, unknown> = {};
    if (props) {
      for (const [k, x] of Object.entries(v)) {
        const p = props.get(k);
        const name = p && x !== null ? escapeProperty(k) : undefined;
        if (name !== undefined) out[name] = toCel(x, p, depth + 1, !!p!.xEmbeddedResource);
      }
      return out;
    }
    const ap = additionalSchema(s);
    if (!ap) return out;
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x, ap, depth + 1, !!ap.xEmbeddedResource);
    return out;
  }
  return v;
}

function ruleErrorString(r: ValidationRule): string {
  return r.message.length > 0 ? r.message.trim() : r.rule.trim();
}

function ruleMessageOrDefault(r: ValidationRule): string {
  return r.message.length === 0 ? `failed rule: ${ruleErrorString(r)}` : r.message.trim();
}

/** The value upstream shows for a failed rule: the scalar itself, nothing for objects and lists (here: the type). */
function shownValue(s: Props, v: unknown): unknown {
  if (s.type === 'object' || s.type === 'array') return s.type;
  return v;
}

function failure(path: string, s: Props, v: unknown, detail: string, reason: string | undefined): FieldError {
  switch (reason) {
    case 'FieldValueForbidden': return fieldError.forbidden(path, detail);
    case 'FieldValueRequired': return fieldError.required(path, detail);
    case 'FieldValueDuplicate': return fieldError.duplicate(path, shownValue(s, v));
    default: return fieldError.invalid(path, shownValue(s, v), detail);
  }
}

interface Ratchet {
  /** The correlated old value of this node, when there is one. */
  corr?: { old: unknown };
  /** The nearest correlated ancestor is unchanged. */
  parentEqual: boolean;
}

const NIL = '<nil>';

/** Runs the rules of `s` (the node's schema, or one of its allOf) on a value typed by the node's schema `node`. */
function evalRules(s: Props, node: Props, path: string, v: unknown, old: unknown, hasOld: boolean, ratchet: Ratchet, errs: FieldError[], resourceRoot: boolean): void {
  const rules = compile(s);
  if (rules.length === 0) return;
  const { mod } = cel();
  const self = toCel(v, node, 0, resourceRoot);
  const oldSelf = hasOld ? toCel(old, node, 0, resourceRoot) : undefined;
  const unchanged = ratchet.corr ? deepEqualJSON(v, ratchet.corr.old) : ratchet.parentEqual;
  for (const c of rules) {
    if (!c.program) {
      errs.push(fieldError.invalid(path || NIL, s.type ?? '', `rule compile error: ${c.error}`));
      continue;
    }
    const optional = c.rule.optionalOldSelf === true;
    if (c.usesOldSelf && !hasOld && !optional) continue;
    const ctx: Record<string, unknown> = { self };
    if (c.usesOldSelf) ctx.oldSelf = optional ? (hasOld ? mod.Optional.of(oldSelf) : mod.Optional.none()) : oldSelf;
    let result: unknown;
    try {
      result = c.program(ctx);
    } catch (e) {
      if (e instanceof LibraryError) {
        errs.push(fieldError.invalid(path || NIL, s.type ?? '', `${e.message} evaluating rule: ${ruleErrorString(c.rule)}`));
        continue;
      }
      const code = (e as { code?: string }).code;
      const msg = (e as Error).message.split('\n')[0]!;
      if (code === 'division_by_zero') {
        errs.push(fieldError.invalid(path || NIL, s.type ?? '', `division by zero evaluating rule: ${ruleErrorString(c.rule)}`));
      } else if (/^No such key: (?!index out of bounds)/.test(msg)) {
        errs.push(fieldError.invalid(path || NIL, s.type ?? '', `no such key: ${msg.slice('No such key: '.length)} evaluating rule: ${ruleErrorString(c.rule)}`));
      }
      // Anything else (a function no library declares, ...) is not enforced.
      continue;
    }
    if (result !== false) continue;
    if (!c.usesOldSelf && unchanged) continue;
    let detail: string | undefined;
    if (c.message) {
      try {
        const m = c.message(ctx);
        if (typeof m === 'string' && m.trim() !== '' && !/[\n\r]/.test(m)) detail = m;
      } catch {
        detail = undefined;
      }
    }
    const at = !c.fieldPath ? path || NIL : path === '' ? c.fieldPath : c.fieldPath.startsWith('[') ? path + c.fieldPath : `${path}.${c.fieldPath}`;
    errs.push(failure(at, s, v, detail ?? ruleMessageOrDefault(c.rule), c.rule.reason));
  }
}

function walk(s: Props, path: string, v: unknown, old: unknown, hasOld: boolean, ratchet: Ratchet, errs: FieldError[], depth: number): void {
  if (v === null || v === undefined || depth > 256) return;
  const resourceRoot = depth === 0 || !!s.xEmbeddedResource;
  evalRules(s, s, path, v, old, hasOld, ratchet, errs, resourceRoot);
  for (const sub of s.allOf ?? []) evalRules(sub, s, path, v, old, hasOld, { parentEqual: ratchet.parentEqual }, errs, resourceRoot);
  // What children without a correlation of their own ratchet on: this node's equality, or the nearest ancestor's.
  const thisEqual = ratchet.corr ? deepEqualJSON(v, ratchet.corr.old) : ratchet.parentEqual;
  if (Array.isArray(v)) {
    const items = itemsSchema(s);
    if (!items) return;
    const oldList = hasOld && Array.isArray(old) ? old : undefined;
    v.forEach((item, i) => {
      let oldItem: unknown;
      let found = false;
      if (oldList && s.xListType === 'map' && isObj(item)) {
        const keys = s.xListMapKeys ?? [];
        const o = oldList.find((x) => isObj(x) && keys.every((k) => deepEqualJSON(x[k], item[k])));
        if (o !== undefined) { oldItem = o; found = true; }
      }
      const r: Ratchet = { parentEqual: thisEqual };
      if (found && ratchet.corr) r.corr = { old: oldItem };
      walk(items, index(path, i), item, oldItem, found, r, errs, depth + 1);
    });
    return;
  }
  if (isObj(v)) {
    const correlatable = s.xMapType === undefined || s.xMapType === 'granular';
    const oldMap = hasOld && isObj(old) && correlatable ? old : undefined;
    const ap = additionalSchema(s);
    const atRoot = path === '';
    for (const [k, x] of Object.entries(v)) {
      const prop = s.properties?.get(k);
      const sub = prop ?? ap;
      if (!sub) continue;
      const has = oldMap !== undefined && Object.prototype.hasOwnProperty.call(oldMap, k);
      const r: Ratchet = { parentEqual: thisEqual };
      if (ratchet.corr && isObj(ratchet.corr.old) && Object.prototype.hasOwnProperty.call(ratchet.corr.old, k) && !(atRoot && (k === 'apiVersion' || k === 'kind'))) {
        r.corr = { old: ratchet.corr.old[k] };
      }
      walk(sub, prop ? child(path, k) : key(path, k), x, has ? oldMap[k] : undefined, has, r, errs, depth + 1);
    }
  }
}

export interface CELValidationOptions {
  /** The old object (updates): transition rules run, and unchanged values ratchet. */
  old?: unknown;
}

/** The x-kubernetes-validations failures of an object (the whole resource, from the root). */
export function validateCELRules(obj: unknown, schema: Props, opts: CELValidationOptions = {}): FieldError[] {
  const errs: FieldError[] = [];
  if (!hasValidationRules(schema)) return errs;
  const hasOld = opts.old !== undefined && opts.old !== null;
  const ratchet: Ratchet = hasOld ? { corr: { old: opts.old }, parentEqual: false } : { parentEqual: false };
  walk(schema, '', obj, opts.old, hasOld, ratchet, errs, 0);
  return errs;
}

const blockingTypes = new Set(['FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid']);

/**
 * What upstream adds instead of running rules when the object already failed
 * in a way rules cannot cope with (missing, mistyped or oversized values).
 */
export function blockingError(errs: readonly FieldError[]): FieldError | undefined {
  if (!errs.some((e) => blockingTypes.has(e.type))) return undefined;
  return fieldError.invalid(NIL, null, 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation');
}
