// CEL message construction (`TypeName{field: expr, ?optField: optExpr}`) as
// Kubernetes' mutating admission policies use it (`Object{...}`,
// `Object.spec.template{...}`, `JSONPatch{op: ..., path: ..., value: ...}`),
// over a CEL library whose parser has no such syntax.
//
// `rewriteConstructions` turns every construction into a call of a function
// the environment registers (`patchTypes: true`, see index.ts):
//
//   Object.spec{replicas: 3, ?paused: x}
//   -> kubevisor_construct("Object.spec", {"replicas": dyn(3)}, {"paused": dyn(x)})
//
// string literals, comments and map literals are left as they are, and every
// copied character keeps a mapping to its offset in the original text, so a
// parse or check error of the rewritten text is reported where the user wrote
// it (`toOriginal`). A constructed value is a CEL map of its fields (field
// selection and `has()` work on it) tagged with its type name
// (`constructedType`); optional fields are set only when their optional
// value has one.
//
// Also here: `jsonpatch.escapeKey` (Kubernetes' JSONPatch CEL library) and
// the conversion of CEL results into JSON for patches (`toJsonValue`).

import type { Library } from './lib.ts';
import { LibraryError } from './errors.ts';

/** The function constructions are rewritten into. */
export const CONSTRUCT_FUNCTION = 'kubevisor_construct';

const TYPE = Symbol('kubevisor.celType');

/** The type name of a constructed value (`Object.spec`, `JSONPatch`); undefined for anything else. */
export function constructedType(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  return (v as { [TYPE]?: string })[TYPE];
}

/** A constructed value: a plain map of `fields` tagged with `typeName`. */
export function constructed(typeName: string, fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  Object.defineProperty(out, TYPE, { value: typeName, enumerable: false });
  return out;
}

// ---- the rewriter ---------------------------------------------------------------------

/** A construction in the original text: its type name and where the name starts. */
export interface Construction {
  readonly name: string;
  readonly offset: number;
}

export interface Rewritten {
  /** The text to parse. */
  readonly text: string;
  /** The constructions found (outer ones first). */
  readonly constructions: readonly Construction[];
  /** The offset in the original text of an offset in `text`. */
  toOriginal(offset: number): number;
}

/** A construction that does not parse, at an offset of the original text. */
export class ConstructionSyntaxError extends Error {
  readonly offset: number;
  constructor(offset: number, message: string) {
    super(message);
    this.name = 'ConstructionSyntaxError';
    this.offset = offset;
  }
}

type TokenKind = 'id' | 'quoted' | 'str' | 'num' | 'punct';

interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
  /** The identifier (a backtick-quoted one without its backticks), or the punctuation character. */
  readonly text: string;
}

const isIdStart = (c: string) => /[A-Za-z_]/.test(c);
const isIdPart = (c: string) => /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

/** The end of the string literal whose quote starts at `q` (`raw`: no escapes); the text's end if it never closes. */
function stringEnd(src: string, q: number, raw: boolean): number {
  const quote = src[q]!;
  const triple = src.startsWith(quote.repeat(3), q);
  const close = triple ? quote.repeat(3) : quote;
  let i = q + close.length;
  while (i < src.length) {
    if (!raw && src[i] === '\\') { i += 2; continue; }
    if (src.startsWith(close, i)) return i + close.length;
    if (!triple && (src[i] === '\n' || src[i] === '\r')) return i;
    i++;
  }
  return src.length;
}

/** CEL's tokens, without whitespace and comments (the rewriter copies what lies between tokens as it is). */
function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') { i++; continue; }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    // A string, with its prefixes: r, b, rb, br (any case).
    const prefix = /^(?:[rR][bB]?|[bB][rR]?)?(?=["'])/.exec(src.slice(i, i + 3));
    if (prefix) {
      const q = i + prefix[0].length;
      const end = stringEnd(src, q, /[rR]/.test(prefix[0]));
      out.push({ kind: 'str', start: i, end, text: '' });
      i = end;
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < src.length && isIdPart(src[j]!)) j++;
      out.push({ kind: 'id', start: i, end: j, text: src.slice(i, j) });
      i = j;
      continue;
    }
    if (c === '`') {
      const close = src.indexOf('`', i + 1);
      const end = close < 0 ? src.length : close + 1;
      out.push({ kind: 'quoted', start: i, end, text: src.slice(i + 1, close < 0 ? src.length : close) });
      i = end;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1] ?? ''))) {
      const m = /^(?:0[xX][0-9a-fA-F]+[uU]?|[0-9]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?[uU]?)/.exec(src.slice(i))!;
      const end = i + Math.max(1, m[0].length);
      out.push({ kind: 'num', start: i, end, text: src.slice(i, end) });
      i = end;
      continue;
    }
    out.push({ kind: 'punct', start: i, end: i + 1, text: c });
    i++;
  }
  return out;
}

/** Words that are not names: an identifier chain starting with one is no construction (`x in {...}`). */
const keywords = new Set(['in', 'true', 'false', 'null']);

/** Whether a token ends an operand: a `{` after it is not the start of a primary. */
function endsOperand(t: Token | undefined): boolean {
  if (!t) return false;
  if (t.kind === 'id') return !keywords.has(t.text);
  if (t.kind === 'quoted' || t.kind === 'str' || t.kind === 'num') return true;
  return t.text === ')' || t.text === ']' || t.text === '}';
}

interface Piece {
  readonly text: string;
  /** Where the piece starts in the original. */
  readonly orig: number;
  /** Copied from the original (each character maps to its own offset), or inserted (all map to `orig`). */
  readonly copied: boolean;
}

class Builder {
  readonly pieces: Piece[] = [];
  private readonly src: string;
  constructor(src: string) {
    this.src = src;
  }
  copy(from: number, to: number): void {
    if (to > from) this.pieces.push({ text: this.src.slice(from, to), orig: from, copied: true });
  }
  insert(text: string, anchor: number): void {
    this.pieces.push({ text, orig: anchor, copied: false });
  }
}

const describe = (t: Token | undefined): string => (t ? `'${t.kind === 'quoted' ? `\`${t.text}\`` : t.kind === 'punct' || t.kind === 'id' ? t.text : 'literal'}'` : '<EOF>');

class Rewriter {
  private readonly src: string;
  private readonly toks: Token[];
  readonly out: Builder;
  readonly constructions: Construction[] = [];
  constructor(src: string) {
    this.src = src;
    this.toks = tokenize(src);
    this.out = new Builder(src);
  }

  run(): void {
    const toks = this.toks;
    if (toks.length === 0) {
      this.out.copy(0, this.src.length);
      return;
    }
    this.out.copy(0, toks[0]!.start);
    this.rewriteRange(0, toks.length);
    this.out.copy(toks[toks.length - 1]!.end, this.src.length);
  }

  /** Copies tokens [from, to) (and what lies between them) with their constructions rewritten. */
  private rewriteRange(from: number, to: number): void {
    if (from >= to) return;
    let pos = this.toks[from]!.start;
    let i = from;
    while (i < to) {
      const c = this.constructionAt(i);
      if (c) {
        this.out.copy(pos, this.toks[i]!.start);
        const close = this.construction(i, c.brace, c.name);
        pos = this.toks[close]!.end;
        i = close + 1;
        continue;
      }
      i++;
    }
    this.out.copy(pos, Math.max(pos, this.toks[to - 1]!.end));
  }

  /** The construction whose name starts at token i: its name tokens and `{`. */
  private constructionAt(i: number): { brace: number; name: string } | undefined {
    const toks = this.toks;
    const prev = toks[i - 1];
    if (endsOperand(prev) || prev?.text === '.') return undefined;
    let j = i;
    let name = '';
    if (toks[j]?.text === '.' && toks[j]!.kind === 'punct') {
      name = '.';
      j++;
    }
    if (toks[j]?.kind !== 'id' || keywords.has(toks[j]!.text)) return undefined;
    name += toks[j]!.text;
    j++;
    while (toks[j]?.kind === 'punct' && toks[j]!.text === '.' && toks[j + 1]?.kind === 'id') {
      name += `.${toks[j + 1]!.text}`;
      j += 2;
    }
    if (toks[j]?.kind !== 'punct' || toks[j]!.text !== '{') return undefined;
    return { brace: j, name: name.startsWith('.') ? name.slice(1) : name };
  }

  /** Emits the call for the construction; returns the index of its closing `}`. */
  private construction(nameStart: number, brace: number, name: string): number {
    const toks = this.toks;
    const anchor = toks[nameStart]!.start;
    this.constructions.push({ name, offset: anchor });
    // First pass: find the entries (field, the first token of its value).
    const entries: Array<{ field: Token; opt: boolean; from: number; to: number }> = [];
    let i = brace + 1;
    for (;;) {
      const t = toks[i];
      if (!t) throw new ConstructionSyntaxError(this.src.length, `Syntax error: missing '}' at '<EOF>'`);
      if (t.kind === 'punct' && t.text === '}') break;
      let opt = false;
      let f = t;
      if (t.kind === 'punct' && t.text === '?') {
        opt = true;
        f = toks[++i]!;
      }
      if (!f || (f.kind !== 'id' && f.kind !== 'quoted')) {
        throw new ConstructionSyntaxError(f ? f.start : this.src.length, `Syntax error: mismatched input ${describe(f)} expecting IDENTIFIER`);
      }
      const colon = toks[i + 1];
      if (colon?.kind !== 'punct' || colon.text !== ':') {
        throw new ConstructionSyntaxError(colon ? colon.start : this.src.length, `Syntax error: mismatched input ${describe(colon)} expecting ':'`);
      }
      const from = i + 2;
      const to = this.valueEnd(from);
      if (to === from) throw new ConstructionSyntaxError(toks[to] ? toks[to]!.start : this.src.length, `Syntax error: mismatched input ${describe(toks[to])} expecting an expression`);
      entries.push({ field: f, opt, from, to });
      i = to;
      const sep = toks[i];
      if (sep?.kind === 'punct' && sep.text === ',') i++;
      else if (!(sep?.kind === 'punct' && sep.text === '}')) {
        throw new ConstructionSyntaxError(sep ? sep.start : this.src.length, `Syntax error: mismatched input ${describe(sep)} expecting {',', '}'}`);
      }
    }
    const close = i;
    const out = this.out;
    out.insert(`${CONSTRUCT_FUNCTION}(${JSON.stringify(name)}, {`, anchor);
    const emit = (list: typeof entries): void => {
      list.forEach((e, n) => {
        out.insert(`${n > 0 ? ', ' : ''}${JSON.stringify(e.field.text)}: dyn(`, e.field.start);
        this.rewriteRange(e.from, e.to);
        out.insert(')', toks[e.to - 1]!.end);
      });
    };
    emit(entries.filter((e) => !e.opt));
    out.insert('}, {', toks[brace]!.start);
    emit(entries.filter((e) => e.opt));
    out.insert('})', toks[close]!.start);
    return close;
  }

  /** The index of the `,` or `}` (at depth 0) that ends the value starting at token `from`. */
  private valueEnd(from: number): number {
    let depth = 0;
    let i = from;
    for (; i < this.toks.length; i++) {
      const t = this.toks[i]!;
      if (t.kind !== 'punct') continue;
      if (depth === 0 && (t.text === ',' || t.text === '}')) return i;
      if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
      else if (t.text === ')' || t.text === ']' || t.text === '}') {
        // An unbalanced closer ends the value: the separator check reports it.
        if (depth === 0) return i;
        depth--;
      }
    }
    return i;
  }
}

/**
 * `src` with every message construction turned into a call of
 * CONSTRUCT_FUNCTION; throws ConstructionSyntaxError when a construction does
 * not parse. Text without constructions comes back as it is.
 */
export function rewriteConstructions(src: string): Rewritten {
  if (!src.includes('{')) return { text: src, constructions: [], toOriginal: (o) => o };
  const r = new Rewriter(src);
  r.run();
  if (r.constructions.length === 0) return { text: src, constructions: [], toOriginal: (o) => o };
  const pieces = r.out.pieces;
  const starts: number[] = [];
  let text = '';
  for (const p of pieces) {
    starts.push(text.length);
    text += p.text;
  }
  const toOriginal = (offset: number): number => {
    if (offset >= text.length) return src.length;
    // The last piece starting at or before the offset.
    let lo = 0, hi = pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid; else hi = mid - 1;
    }
    const p = pieces[lo]!;
    return p.copied ? p.orig + (offset - starts[lo]!) : p.orig;
  };
  return { text, constructions: r.constructions, toOriginal };
}

// ---- runtime --------------------------------------------------------------------------

/** Go's %T of a CEL value's native form, for JSONPatch's type errors. */
function goTypeOf(v: unknown): string {
  if (typeof v === 'bigint') return 'int64';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (v === null || v === undefined) return 'structpb.NullValue';
  if (Array.isArray(v)) return '[]ref.Val';
  if (v instanceof Uint8Array) return '[]uint8';
  if (v instanceof Date) return 'time.Time';
  return 'map[ref.Val]ref.Val';
}

function entriesOf(m: unknown): Array<[string, unknown]> {
  if (m instanceof Map) return [...m.entries()].map(([k, v]) => [String(k), v]);
  if (typeof m === 'object' && m !== null) return Object.entries(m);
  return [];
}

interface OptionalValue { hasValue(): boolean; value(): unknown }

function isOptional(v: unknown): v is OptionalValue {
  return typeof v === 'object' && v !== null && typeof (v as Partial<OptionalValue>).hasValue === 'function' && typeof (v as Partial<OptionalValue>).value === 'function';
}

const JSON_PATCH_FIELDS = new Set(['op', 'path', 'from', 'value']);

/** Builds the value of a construction (the function the rewritten text calls). */
export function construct(typeName: string, fields: unknown, optionalFields: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entriesOf(fields)) out[k] = v;
  for (const [k, v] of entriesOf(optionalFields)) {
    if (!isOptional(v)) throw new LibraryError(`no such overload`);
    if (v.hasValue()) out[k] = v.value();
  }
  if (typeName === 'JSONPatch') {
    for (const [k, v] of Object.entries(out)) {
      if (!JSON_PATCH_FIELDS.has(k)) throw new LibraryError(`unexpected JSONPatchType field: ${k}`);
      if (k !== 'value' && typeof v !== 'string') throw new LibraryError(`unexpected type ${goTypeOf(v)} for JSONPatchType '${k}' field`);
    }
  }
  return constructed(typeName, out);
}

/** Whether a construction of this type is known where patch types are declared (Object, Object.*, JSONPatch). */
export function isPatchType(name: string): boolean {
  return name === 'JSONPatch' || name === 'Object' || name.startsWith('Object.');
}

/** Escapes a map key for a JSON pointer (`~` -> `~0`, `/` -> `~1`). */
export function escapeKey(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Registers the construction function and `jsonpatch.escapeKey` (Kubernetes' patch types). */
export function register(lib: Library): void {
  lib.fn(`${CONSTRUCT_FUNCTION}(string, map<string, dyn>, map<string, dyn>): dyn`, (name: string, f: unknown, o: unknown) => construct(name, f, o));
  const ns = lib.namespace('jsonpatch');
  lib.fn(`${ns}.escapeKey(string): string`, (_: unknown, k: string) => escapeKey(k));
}

/**
 * The mismatches between the type names of constructed values and the field
 * paths they are set at (upstream's check: `Object{spec: Object.spec{...}}`;
 * lists and maps in between are transparent).
 */
export function typeNameMismatches(root: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string): void => {
    const t = constructedType(v);
    if (t !== undefined) {
      if (t !== path) out.push(`unexpected type name ${JSON.stringify(t)}, expected ${JSON.stringify(path)}, which matches field name path from root Object type`);
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, `${path}.${k}`);
      return;
    }
    if (Array.isArray(v)) for (const x of v) walk(x, path);
    else if (v instanceof Map) for (const x of v.values()) walk(x, path);
    else if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) walk(x, path);
  };
  const t = constructedType(root);
  if (t !== undefined) walk(root, t);
  return out;
}

/** A CEL value that has no JSON form. */
export class JsonConversionError extends Error {}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * A CEL result as JSON (ints and uints as numbers, timestamps as RFC 3339,
 * bytes as base64, constructed values as their fields); throws
 * JsonConversionError for what JSON cannot hold.
 */
export function toJsonValue(v: unknown, depth = 0): unknown {
  if (depth > 512) throw new JsonConversionError('value nested too deeply');
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new JsonConversionError(`json: unsupported value: ${String(v).replace('Infinity', '+Inf')}`);
    return v;
  }
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => toJsonValue(x, depth + 1));
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof Date) return rfc3339(v);
  if (isOptional(v)) throw new JsonConversionError('unsupported type: optional_type');
  const o = v as Record<string, unknown> & { value?: unknown; seconds?: unknown; nanos?: unknown };
  if (o.constructor?.name === 'UnsignedInt' && typeof o.value === 'bigint') return Number(o.value);
  if (o.constructor?.name === 'Duration' && typeof o.seconds === 'bigint') {
    const s = Number(o.seconds) + Number(o.nanos ?? 0) / 1e9;
    return `${s}s`;
  }
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) {
      if (typeof k !== 'string') throw new JsonConversionError(`map key ${JSON.stringify(String(k))} is of type ${goTypeOf(k)}, not string`);
      out[k] = toJsonValue(x, depth + 1);
    }
    return out;
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJsonValue(x, depth + 1);
    return out;
  }
  throw new JsonConversionError(`unsupported type: ${typeof v}`);
}
