// Field selectors: `fieldSelector=metadata.name=x,status.phase!=Running`. Terms are
// ANDed; `=`/`==` test equality, `!=` inequality; in values, `\`, `,` and `=` are
// escaped with a backslash. Which fields exist depends on the kind: callers pass a
// getter (a missing field reads as "") and may convert field labels with `transform`.
import { SelectorError } from './selector-error.ts';

export type FieldOperator = '=' | '!=';

export interface FieldRequirement {
  readonly field: string;
  /** `==` in the input is recorded as `=`. */
  readonly operator: FieldOperator;
  readonly value: string;
}

/** Reads a field of an object as a string; "" when absent. */
export type FieldGetter = (field: string) => string;

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  /** True when the selector places no restriction (matches everything). */
  readonly empty: boolean;
  matches(get: FieldGetter | Readonly<Record<string, string>>): boolean;
  /** The value `field` must equal for a match, if some term pins it. */
  requiresExactMatch(field: string): string | undefined;
  toString(): string;
}

const hasOwn = Object.prototype.hasOwnProperty;

function getterOf(get: FieldGetter | Readonly<Record<string, string>>): FieldGetter {
  if (typeof get === 'function') return get;
  return (f) => (hasOwn.call(get, f) ? get[f] ?? '' : '');
}

/** Escapes `\`, `,` and `=` in a value. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

class TermsSelector implements FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  constructor(reqs: readonly FieldRequirement[]) {
    this.requirements = reqs;
  }
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(get: FieldGetter | Readonly<Record<string, string>>): boolean {
    if (this.requirements.length === 0) return true;
    const g = getterOf(get);
    for (const r of this.requirements) {
      const v = g(r.field);
      if (r.operator === '=' ? v !== r.value : v === r.value) return false;
    }
    return true;
  }
  requiresExactMatch(field: string): string | undefined {
    for (const r of this.requirements) if (r.field === field && r.operator === '=') return r.value;
    return undefined;
  }
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }
}

/** Matches every object. */
export const Everything: FieldSelector = Object.freeze(new TermsSelector([]));

/** A selector from requirements (terms equal to `=` nothing are dropped as upstream does). */
export function fieldSelectorFromRequirements(reqs: readonly FieldRequirement[]): FieldSelector {
  const kept = reqs.filter((r) => r.field !== '' || r.value !== '');
  return kept.length === 0 ? Everything : new TermsSelector(kept);
}

/** Undoes escapeFieldValue; an unescaped `,`/`=` or a bad escape is an error. */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    // Upstream prints the rune with %v, i.e. as its number.
    else if (c === ',' || c === '=') throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas that are not escaped. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inSlash) inSlash = false;
    else if (c === 0x5c) inSlash = true;
    else if (c === 0x2c) {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** Byte-wise (UTF-8) order, as Go sorts strings. */
function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Parses a `fieldSelector` query value into requirements (sorted as upstream sorts
 * terms). Throws SelectorError (400) with upstream's message; "" gives Everything.
 */
export function parseFieldSelector(selector: string): FieldSelector {
  if (selector === '') return Everything;
  const parts = splitTerms(selector).sort(compareBytes);
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    // The first position where `!=`, `==` or `=` starts splits the term.
    let i = 0;
    let op = '';
    for (; i < part.length; i++) {
      const c = part.charCodeAt(i);
      const n = part.charCodeAt(i + 1);
      if (c === 0x21 && n === 0x3d) { op = '!='; break; }
      if (c === 0x3d) { op = n === 0x3d ? '==' : '='; break; }
    }
    if (op === '') throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    const field = part.slice(0, i);
    const value = unescapeFieldValue(part.slice(i + op.length));
    reqs.push({ field, operator: op === '!=' ? '!=' : '=', value });
  }
  return fieldSelectorFromRequirements(reqs);
}

/**
 * Rewrites each term's field and value (upstream's Selector.Transform), e.g. to map a
 * kind's field labels or reject unsupported ones by throwing. A term rewritten to an
 * empty field and value is dropped. Errors from `fn` that are not SelectorErrors are
 * wrapped as one (400, same message).
 */
export function transformFieldSelector(
  sel: FieldSelector,
  fn: (field: string, value: string) => { field: string; value: string },
): FieldSelector {
  if (sel.empty) return sel;
  const out: FieldRequirement[] = [];
  for (const r of sel.requirements) {
    let res: { field: string; value: string };
    try {
      res = fn(r.field, r.value);
    } catch (e) {
      if (e instanceof SelectorError) throw e;
      throw new SelectorError(e instanceof Error ? e.message : String(e));
    }
    out.push({ field: res.field, operator: r.operator, value: res.value });
  }
  return fieldSelectorFromRequirements(out);
}

/**
 * The field labels every kind supports unless it declares more:
 * metadata.name and metadata.namespace, with upstream's error for others.
 */
export function defaultFieldLabelConversion(field: string, value: string): { field: string; value: string } {
  if (field === 'metadata.name' || field === 'metadata.namespace') return { field, value };
  throw new SelectorError(`${JSON.stringify(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
}
