// Label selectors: the `labelSelector` query string syntax and metav1.LabelSelector
// objects, parsed and validated with kube-apiserver's exact error texts.
//
//   selector    := requirement ("," requirement)*
//   requirement := ["!"] KEY [ ("in" | "notin") "(" VALUE ("," VALUE)* ")" | ("=" | "==" | "!=" | ">" | "<") VALUE ]
//
// A bare KEY means "exists", `!KEY` "does not exist"; `>`/`<` compare integers.
import { fieldError, formatFieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import { isPlainObject } from '../types.ts';
import { labelKeyProblems, labelValueProblems } from './label-syntax.ts';
import { SelectorError } from './selector-error.ts';

/** Operators with upstream's names (selection.Operator). */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted and unique when parsed from a string; as given when built from a LabelSelector. */
  readonly values: readonly string[];
}

export type Labels = Readonly<Record<string, string>>;

export interface LabelSelector {
  /** Requirements sorted by key; all must match. */
  readonly requirements: readonly LabelRequirement[];
  /** True when the selector places no restriction (matches everything). */
  readonly empty: boolean;
  matches(labels: Labels | undefined | null): boolean;
  /** The value `key` must have for a match, if the selector pins it to one value. */
  requiresExactMatch(key: string): string | undefined;
  toString(): string;
}

const binaryOperators: readonly LabelOperator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

const hasOwn = Object.prototype.hasOwnProperty;

function lookup(labels: Labels | undefined | null, key: string): string | undefined {
  if (!labels || !hasOwn.call(labels, key)) return undefined;
  return labels[key];
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64), or undefined when it fails. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v < int64Min || v > int64Max ? undefined : v;
}

export function requirementMatches(r: LabelRequirement, labels: Labels | undefined | null): boolean {
  switch (r.operator) {
    case 'in': case '=': case '==': {
      const v = lookup(labels, r.key);
      return v !== undefined && r.values.includes(v);
    }
    case 'notin': case '!=': {
      const v = lookup(labels, r.key);
      return v === undefined || !r.values.includes(v);
    }
    case 'exists': return lookup(labels, r.key) !== undefined;
    case '!': return lookup(labels, r.key) === undefined;
    case 'gt': case 'lt': {
      const v = lookup(labels, r.key);
      if (v === undefined || r.values.length !== 1) return false;
      const have = parseInt64(v);
      const want = parseInt64(r.values[0]!);
      if (have === undefined || want === undefined) return false;
      return r.operator === 'gt' ? have > want : have < want;
    }
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function requirementString(r: LabelRequirement): string {
  let s = r.operator === '!' ? `!${r.key}` : r.key;
  switch (r.operator) {
    case 'exists': case '!': return s;
    case 'in': s += ' in '; break;
    case 'notin': s += ' notin '; break;
    case 'gt': s += '>'; break;
    case 'lt': s += '<'; break;
    default: s += r.operator;
  }
  const vals = r.values.length === 1 ? r.values[0]! : [...r.values].sort(compareStrings).join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${s}(${vals})` : s + vals;
}

class RequirementsSelector implements LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  constructor(reqs: readonly LabelRequirement[]) {
    this.requirements = reqs;
  }
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(labels: Labels | undefined | null): boolean {
    for (const r of this.requirements) if (!requirementMatches(r, labels)) return false;
    return true;
  }
  requiresExactMatch(key: string): string | undefined {
    for (const r of this.requirements) {
      if (r.key !== key) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
      return undefined;
    }
    return undefined;
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

/** Matches every set of labels. */
export const Everything: LabelSelector = Object.freeze(new RequirementsSelector([]));

/** Matches nothing (what a missing metav1.LabelSelector means). */
export const Nothing: LabelSelector = Object.freeze({
  requirements: [],
  empty: false,
  matches: () => false,
  requiresExactMatch: () => undefined,
  toString: () => '',
});

/** A selector from requirements, sorted by key as upstream does. */
export function selectorFromRequirements(reqs: readonly LabelRequirement[]): LabelSelector {
  if (reqs.length === 0) return Everything;
  return new RequirementsSelector([...reqs].sort((a, b) => compareStrings(a.key, b.key)));
}

/** A selector that requires exactly these labels (no validation). */
export function selectorFromSet(set: Labels | undefined | null): LabelSelector {
  if (!set) return Everything;
  return selectorFromRequirements(Object.keys(set).map((key) => ({ key, operator: '=', values: [set[key]!] })));
}

/** Upstream's aggregate error text: one message alone, several as `[a, b]`, duplicates dropped. */
function aggregate(messages: readonly string[]): string {
  const uniq = [...new Set(messages)];
  return uniq.length === 1 ? uniq[0]! : `[${uniq.join(', ')}]`;
}

/**
 * The field errors upstream's labels.NewRequirement reports. `values` is null for an
 * absent list (printed as `null`); `path` prefixes the field names (`key`, `values[0]`).
 */
export function requirementErrors(key: string, op: string, values: readonly string[] | null, path = ''): FieldError[] {
  const at = (child: string) => (path ? `${path}.${child}` : child);
  const errs: FieldError[] = [];
  const keyProblems = labelKeyProblems(key);
  if (keyProblems.length > 0) errs.push(fieldError.invalid(at('key'), key, keyProblems.join('; ')));
  const vals = values ?? [];
  const valuesPath = at('values');
  switch (op) {
    case 'in': case 'notin':
      if (vals.length === 0) errs.push(fieldError.invalid(valuesPath, values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=': case '==': case '!=':
      if (vals.length !== 1) errs.push(fieldError.invalid(valuesPath, values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists': case '!':
      if (vals.length !== 0) errs.push(fieldError.invalid(valuesPath, values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt': case 'lt':
      if (vals.length !== 1) errs.push(fieldError.invalid(valuesPath, values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(fieldError.invalid(`${valuesPath}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(fieldError.notSupported(at('operator'), op, ['in', 'notin', '=', '==', '!=', 'gt', 'lt', 'exists', '!']));
  }
  vals.forEach((v, i) => {
    const problems = labelValueProblems(v);
    if (problems.length > 0) errs.push(fieldError.invalid(`${valuesPath}[${i}][${key}]`, v, problems.join('; ')));
  });
  return errs;
}

function newRequirement(key: string, op: LabelOperator, values: readonly string[] | null): LabelRequirement {
  const errs = requirementErrors(key, op, values);
  if (errs.length > 0) throw new SelectorError(aggregate(errs.map(formatFieldError)), errs);
  return { key, operator: op, values: values ?? [] };
}

// ---- lexer ----------------------------------------------------------------

const T_END = 1, T_CLOSE = 2, T_COMMA = 3, T_NOT = 4, T_DEQ = 5, T_EQ = 6, T_GT = 7, T_ID = 8,
  T_IN = 9, T_LT = 10, T_NEQ = 11, T_NOTIN = 12, T_OPEN = 13;

const keywordTokens: Record<string, number> = {
  ')': T_CLOSE, ',': T_COMMA, '!': T_NOT, '==': T_DEQ, '=': T_EQ, '>': T_GT, in: T_IN,
  '<': T_LT, '!=': T_NEQ, notin: T_NOTIN, '(': T_OPEN,
};

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function isSpecial(c: number): boolean {
  // = ! ( ) , > <
  return c === 0x3d || c === 0x21 || c === 0x28 || c === 0x29 || c === 0x2c || c === 0x3e || c === 0x3c;
}

interface Token { tok: number; lit: string }

/** Splits a selector into tokens. A NUL character ends a token as the end of input does. */
function scan(s: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  // Returns 0 at the end (and for NUL), advancing past what it read.
  const read = (): number => (pos < s.length ? s.charCodeAt(pos++) : 0);
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === 0) {
      out.push({ tok: T_END, lit: '' });
      return out;
    }
    if (isSpecial(ch)) {
      // Longest operator: `!=` or `==`, else the single symbol.
      const next = pos < s.length ? s.charCodeAt(pos) : 0;
      let lit = String.fromCharCode(ch);
      if ((ch === 0x21 || ch === 0x3d) && next === 0x3d) {
        lit += '=';
        pos++;
      }
      out.push({ tok: keywordTokens[lit]!, lit });
      continue;
    }
    const start = pos - 1;
    let end = s.length;
    for (;;) {
      if (pos >= s.length) { end = pos; break; }
      const c = s.charCodeAt(pos);
      if (c === 0) { end = pos; pos++; break; }
      if (isSpecial(c) || isWhitespace(c)) { end = pos; break; }
      pos++;
    }
    const lit = s.slice(start, end);
    const kw = lit === 'in' ? T_IN : lit === 'notin' ? T_NOTIN : T_ID;
    out.push({ tok: kw, lit });
  }
}

// ---- parser ---------------------------------------------------------------

class Parser {
  private readonly items: Token[];
  private pos = 0;
  constructor(s: string) {
    this.items = scan(s);
  }
  /** In a value position, `in` and `notin` are plain identifiers. */
  private lookahead(values: boolean): Token {
    const t = this.items[this.pos]!;
    return values && (t.tok === T_IN || t.tok === T_NOTIN) ? { tok: T_ID, lit: t.lit } : t;
  }
  private consume(values: boolean): Token {
    const t = this.lookahead(values);
    this.pos++;
    return t;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      if (tok === T_ID || tok === T_NOT) {
        let r: LabelRequirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          if (e instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${e.message}`, e.fieldErrors);
          throw e;
        }
        reqs.push(r);
        const t = this.consume(true);
        if (t.tok === T_END) return reqs;
        if (t.tok === T_COMMA) {
          const t2 = this.lookahead(true);
          if (t2.tok !== T_ID && t2.tok !== T_NOT) throw new SelectorError(`found '${t2.lit}', expected: identifier after ','`);
          continue;
        }
        throw new SelectorError(`found '${t.lit}', expected: ',' or 'end of string'`);
      }
      if (tok === T_END) return reqs;
      throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
    }
  }

  private parseRequirement(): LabelRequirement {
    let negated = false;
    let t = this.consume(true);
    if (t.tok === T_NOT) {
      negated = true;
      t = this.consume(true);
    }
    if (t.tok !== T_ID) throw new SelectorError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyProblems = labelKeyProblems(key);
    if (keyProblems.length > 0) {
      // Upstream validates against a nil field path here, which prints as "<nil>".
      const fe = fieldError.invalid('<nil>', key, keyProblems.join('; '));
      throw new SelectorError(formatFieldError(fe), [fe]);
    }
    if (negated) return newRequirement(key, '!', []);
    const next = this.lookahead(true).tok;
    if (next === T_END || next === T_COMMA) return newRequirement(key, 'exists', []);

    const opTok = this.consume(false);
    let op: LabelOperator;
    switch (opTok.tok) {
      case T_IN: op = 'in'; break;
      case T_EQ: op = '='; break;
      case T_DEQ: op = '=='; break;
      case T_GT: op = 'gt'; break;
      case T_LT: op = 'lt'; break;
      case T_NOTIN: op = 'notin'; break;
      case T_NEQ: op = '!='; break;
      default: throw new SelectorError(`found '${opTok.lit}', expected: ${binaryOperators.join(', ')}`);
    }
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, op, [...values].sort(compareStrings));
  }

  private parseValues(): Set<string> {
    const open = this.consume(true);
    if (open.tok !== T_OPEN) throw new SelectorError(`found '${open.lit}' expected: '('`);
    const t = this.lookahead(true);
    if (t.tok === T_ID || t.tok === T_COMMA) {
      const s = this.parseIdentifiersList();
      if (this.consume(true).tok !== T_CLOSE) throw new SelectorError(`found '${t.lit}', expected: ')'`);
      return s;
    }
    if (t.tok === T_CLOSE) {
      this.consume(true);
      return new Set(['']);
    }
    throw new SelectorError(`found '${t.lit}', expected: ',', ')' or identifier`);
  }

  /** A comma-separated list in which empty entries stand for the empty string. */
  private parseIdentifiersList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const t = this.consume(true);
      if (t.tok === T_ID) {
        s.add(t.lit);
        const t2 = this.lookahead(true);
        if (t2.tok === T_COMMA) continue;
        if (t2.tok === T_CLOSE) return s;
        throw new SelectorError(`found '${t2.lit}', expected: ',' or ')'`);
      }
      if (t.tok === T_COMMA) {
        if (s.size === 0) s.add('');
        const t2 = this.lookahead(true).tok;
        if (t2 === T_CLOSE || t2 === T_COMMA) {
          s.add('');
          if (t2 === T_CLOSE) return s;
        }
        continue;
      }
      throw new SelectorError(`found '${t.lit}', expected: ',', or identifier`);
    }
  }

  private parseExactValue(): Set<string> {
    const t = this.lookahead(true);
    if (t.tok === T_END || t.tok === T_COMMA) return new Set(['']);
    const v = this.consume(true);
    if (v.tok === T_ID) return new Set([v.lit]);
    throw new SelectorError(`found '${v.lit}', expected: identifier`);
  }
}

/**
 * Parses a `labelSelector` query value. Throws SelectorError (400) with upstream's
 * message for malformed input; an empty string gives Everything.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  if (selector === '') return Everything;
  return selectorFromRequirements(new Parser(selector).parse());
}

/** The requirements of a selector string, in key order. */
export function parseLabelRequirements(selector: string): LabelRequirement[] {
  return [...parseLabelSelector(selector).requirements];
}

const expressionOperators: Record<string, LabelOperator> = {
  In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!',
};

/**
 * Converts a metav1.LabelSelector (matchLabels + matchExpressions) as upstream's
 * LabelSelectorAsSelector does: null/undefined selects nothing, `{}` everything.
 * Throws SelectorError for an unknown operator or an invalid key/value.
 */
export function fromLabelSelector(ls: unknown): LabelSelector {
  if (ls === null || ls === undefined) return Nothing;
  if (!isPlainObject(ls)) throw new SelectorError('label selector must be an object');
  const matchLabels = ls['matchLabels'];
  const matchExpressions = ls['matchExpressions'];
  const labels = isPlainObject(matchLabels) ? matchLabels : {};
  const exprs = Array.isArray(matchExpressions) ? matchExpressions : [];
  const labelKeys = Object.keys(labels);
  if (labelKeys.length + exprs.length === 0) return Everything;
  const reqs: LabelRequirement[] = [];
  for (const k of labelKeys) {
    const v = labels[k];
    reqs.push(newRequirement(k, '=', [typeof v === 'string' ? v : String(v ?? '')]));
  }
  for (const e of exprs) {
    const expr = isPlainObject(e) ? e : {};
    const opName = typeof expr['operator'] === 'string' ? expr['operator'] : '';
    const op = hasOwn.call(expressionOperators, opName) ? expressionOperators[opName] : undefined;
    if (!op) throw new SelectorError(`${JSON.stringify(opName)} is not a valid label selector operator`);
    const key = typeof expr['key'] === 'string' ? expr['key'] : '';
    const rawValues = expr['values'];
    const values = Array.isArray(rawValues) && rawValues.length > 0 ? rawValues.map((v) => (typeof v === 'string' ? v : String(v))) : null;
    reqs.push(newRequirement(key, op, values));
  }
  return selectorFromRequirements(reqs);
}
