// A strict JSON decoder for request bodies. It accepts exactly what Go's
// encoding/json accepts, fails with Go's texts ("invalid character '}' looking for
// beginning of object key string", "unexpected end of JSON input") plus the byte
// offset, line and column, and reports what kube-apiserver's strict decoding reports:
// duplicate fields (`duplicate field "metadata.name"`) and, with a FieldTracker that
// knows the target type, unknown fields (`unknown field "spec.foo"`), in document
// order, at most 100, each once.
//
// Decoding is iterative (no recursion limit of its own); nesting deeper than 10000
// levels fails as Go's does. Numbers become JS numbers: integers beyond 2^53 lose
// precision.
import type { JsonObject, JsonValue } from '../types.ts';
import { firstUtf8Byte, goQuote, goQuoteByte } from './go-text.ts';

/** Malformed JSON. `message` is Go's text; the position is extra. */
export class JsonSyntaxError extends Error {
  /** Bytes read when the error was found (Go's SyntaxError.Offset). */
  readonly offset: number;
  /** 1-based line and column (in characters) of the offending character. */
  readonly line: number;
  readonly column: number;
  constructor(message: string, offset: number, line: number, column: number) {
    super(message);
    this.name = 'JsonSyntaxError';
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

/** Well-formed JSON whose value Go cannot hold (a number beyond float64). */
export class JsonValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonValueError';
  }
}

/** Returned by a tracker for a member the target type does not have. */
export const UNKNOWN: unique symbol = Symbol('unknown field');
/** Returned by a tracker for values that are taken as they are, without checks below. */
export const SKIP: unique symbol = Symbol('no checks');

/**
 * Follows the decoder through the document to tell known members from unknown ones
 * (strict.ts builds one from a schema). Contexts are the tracker's own values.
 */
export interface FieldTracker<C> {
  /** Context of member `key` of an object decoded in context `ctx`. */
  member(ctx: C, key: string): C | typeof UNKNOWN | typeof SKIP;
  /** Context of the items of a list decoded in context `ctx`. */
  item(ctx: C): C | typeof SKIP;
}

export interface StrictFieldError {
  kind: 'unknown' | 'duplicate';
  /** Go's strict path: `spec.containers[0].foo`. */
  path: string;
}

/** `unknown field "spec.foo"` / `duplicate field "metadata.name"`, quoted as Go does. */
export function strictFieldErrorText(e: StrictFieldError): string {
  return `${e.kind} field ${goQuote(e.path)}`;
}

export interface DecodeJsonOptions<C> {
  /** Report duplicate members (default true). */
  duplicates?: boolean;
  /** Report unknown members as this tracker decides; without one, every member is known. */
  tracker?: FieldTracker<C>;
  /** The tracker's context for the top-level value (SKIP: check nothing but duplicates at the top). */
  root?: C | typeof SKIP;
}

export interface DecodedJson {
  value: JsonValue;
  /** Duplicate and unknown members in document order (empty when none). */
  strictErrors: StrictFieldError[];
}

const MAX_DEPTH = 10000;
const MAX_STRICT_ERRORS = 100;

interface Frame {
  container: JsonObject | JsonValue[];
  isArray: boolean;
  /** The member being decoded (objects). */
  key: string;
  /** Tracker context of this container; SKIP when nothing below is checked. */
  ctx: unknown;
  /** Context of the member or item being decoded. */
  childCtx: unknown;
}

/** A decoder over one input. */
class Decoder<C> {
  private readonly s: string;
  private i = 0;
  private readonly stack: Frame[] = [];
  private readonly errors: StrictFieldError[] = [];
  private readonly seen = new Set<string>();
  private valueError: string | undefined;
  private readonly tracker: FieldTracker<C> | undefined;
  private readonly duplicates: boolean;
  private readonly root: unknown;

  constructor(s: string, opts: DecodeJsonOptions<C>) {
    this.s = s;
    this.tracker = opts.tracker;
    this.duplicates = opts.duplicates ?? true;
    this.root = opts.tracker ? opts.root : undefined;
  }

  // ---- errors ----

  private fail(context: string, at = this.i): never {
    const s = this.s;
    if (at >= s.length) {
      throw this.syntaxError('unexpected end of JSON input', s.length, true);
    }
    const b = firstUtf8Byte(s, at);
    throw this.syntaxError(`invalid character ${goQuoteByte(b)} ${context}`, at, false);
  }

  /** At the end of input in the middle of a token Go reports the space it appends. */
  private failAtEnd(context: string): never {
    throw this.syntaxError(`invalid character ' ' ${context}`, this.s.length, true);
  }

  private syntaxError(msg: string, at: number, atEnd: boolean): JsonSyntaxError {
    const before = this.s.slice(0, at);
    const offset = Buffer.byteLength(before, 'utf8') + (atEnd ? 0 : 1);
    const nl = before.lastIndexOf('\n');
    let line = 1;
    for (let k = before.indexOf('\n'); k !== -1; k = before.indexOf('\n', k + 1)) line++;
    return new JsonSyntaxError(msg, offset, line, at - nl);
  }

  private strict(kind: 'unknown' | 'duplicate', key: string): void {
    if (this.errors.length >= MAX_STRICT_ERRORS) return;
    let path = '';
    const stack = this.stack;
    // The last frame is the object holding `key`; the frames below it lead to it.
    for (let f = 0; f < stack.length - 1; f++) {
      const fr = stack[f]!;
      if (fr.isArray) path += `[${(fr.container as JsonValue[]).length}]`;
      else path += path === '' ? fr.key : `.${fr.key}`;
    }
    path += path === '' ? key : `.${key}`;
    const id = `${kind}\u0000${path}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.errors.push({ kind, path });
  }

  // ---- lexing ----

  private skipWs(): number {
    const s = this.s;
    let i = this.i;
    let c = s.charCodeAt(i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
    this.i = i;
    return c; // NaN at the end
  }

  private isHex(c: number): boolean {
    return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
  }

  /** Decodes the string starting at the opening quote at this.i. */
  private string(): string {
    const s = this.s;
    let i = this.i + 1;
    const start = i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return s.slice(start, i);
      }
      if (c === 0x5c) break;
      if (c < 0x20) {
        this.i = i;
        this.fail('in string literal');
      }
      if (c !== c) { // NaN: end of input
        this.i = i;
        this.fail('');
      }
      i++;
    }
    // Slow path: escapes.
    let out = s.slice(start, i);
    for (;;) {
      let c = s.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return out;
      }
      if (c !== c) {
        this.i = i;
        this.fail('');
      }
      if (c < 0x20) {
        this.i = i;
        this.fail('in string literal');
      }
      if (c !== 0x5c) {
        const runStart = i;
        while (i < s.length && (c = s.charCodeAt(i)) !== 0x22 && c !== 0x5c && c >= 0x20) i++;
        out += s.slice(runStart, i);
        continue;
      }
      const e = s.charCodeAt(i + 1);
      switch (e) {
        case 0x22: out += '"'; i += 2; continue;
        case 0x5c: out += '\\'; i += 2; continue;
        case 0x2f: out += '/'; i += 2; continue;
        case 0x62: out += '\b'; i += 2; continue;
        case 0x66: out += '\f'; i += 2; continue;
        case 0x6e: out += '\n'; i += 2; continue;
        case 0x72: out += '\r'; i += 2; continue;
        case 0x74: out += '\t'; i += 2; continue;
        case 0x75: {
          const cp = this.hex4(i + 2);
          i += 6;
          if (cp >= 0xd800 && cp < 0xdc00) {
            // A high surrogate must be followed by an escaped low one, else it is U+FFFD.
            if (s.charCodeAt(i) === 0x5c && s.charCodeAt(i + 1) === 0x75) {
              const lo = this.hex4(i + 2);
              if (lo >= 0xdc00 && lo < 0xe000) {
                out += String.fromCharCode(cp, lo);
                i += 6;
                continue;
              }
            }
            out += '\ufffd';
          } else if (cp >= 0xdc00 && cp < 0xe000) {
            out += '\ufffd';
          } else {
            out += String.fromCharCode(cp);
          }
          continue;
        }
        default:
          if (e !== e) {
            this.i = i + 1;
            this.failAtEnd('in string escape code');
          }
          this.i = i + 1;
          this.fail('in string escape code');
      }
    }
  }

  private hex4(at: number): number {
    const s = this.s;
    for (let k = at; k < at + 4; k++) {
      const c = s.charCodeAt(k);
      if (!this.isHex(c)) {
        this.i = k;
        if (c !== c) this.failAtEnd('in \\u hexadecimal character escape');
        this.fail('in \\u hexadecimal character escape');
      }
    }
    return parseInt(s.slice(at, at + 4), 16);
  }

  private number(): number {
    const s = this.s;
    const start = this.i;
    let i = start;
    let c = s.charCodeAt(i);
    if (c === 0x2d) {
      c = s.charCodeAt(++i);
      if (!(c >= 0x30 && c <= 0x39)) this.numberFail(i, 'in numeric literal');
    }
    if (c === 0x30) {
      c = s.charCodeAt(++i);
    } else {
      while (c >= 0x30 && c <= 0x39) c = s.charCodeAt(++i);
    }
    if (c === 0x2e) {
      c = s.charCodeAt(++i);
      if (!(c >= 0x30 && c <= 0x39)) this.numberFail(i, 'after decimal point in numeric literal');
      while (c >= 0x30 && c <= 0x39) c = s.charCodeAt(++i);
    }
    if (c === 0x65 || c === 0x45) {
      c = s.charCodeAt(++i);
      if (c === 0x2b || c === 0x2d) c = s.charCodeAt(++i);
      if (!(c >= 0x30 && c <= 0x39)) this.numberFail(i, 'in exponent of numeric literal');
      while (c >= 0x30 && c <= 0x39) c = s.charCodeAt(++i);
    }
    this.i = i;
    const text = s.slice(start, i);
    const n = Number(text);
    if (!Number.isFinite(n) && this.valueError === undefined) {
      this.valueError = `json: cannot unmarshal number ${text} into Go value of type float64`;
    }
    return n;
  }

  private numberFail(at: number, context: string): never {
    this.i = at;
    if (at >= this.s.length) this.failAtEnd(context);
    this.fail(context);
  }

  private literal(word: string, value: JsonValue): JsonValue {
    const s = this.s;
    for (let k = 1; k < word.length; k++) {
      const at = this.i + k;
      if (s.charCodeAt(at) !== word.charCodeAt(k)) {
        const context = `in literal ${word} (expecting '${word[k]}')`;
        this.i = at;
        if (at >= s.length) this.failAtEnd(context);
        this.fail(context);
      }
    }
    this.i += word.length;
    return value;
  }

  // ---- structure ----

  /** Reads `"key":` at this.i (after `{` or `,`) and prepares the member's context. */
  private memberKey(fr: Frame): void {
    const c = this.skipWs();
    if (c !== 0x22) this.fail('looking for beginning of object key string');
    const key = this.string();
    if (this.skipWs() !== 0x3a) this.fail('after object key');
    this.i++;
    fr.key = key;
    const ctx = fr.ctx;
    if (ctx === SKIP) {
      fr.childCtx = SKIP;
      return;
    }
    let child: unknown = ctx;
    if (this.tracker) {
      child = this.tracker.member(ctx as C, key);
      if (child === UNKNOWN) {
        this.strict('unknown', key);
        fr.childCtx = SKIP;
        return;
      }
    }
    if (this.duplicates && Object.prototype.hasOwnProperty.call(fr.container, key)) this.strict('duplicate', key);
    fr.childCtx = child;
  }

  private push(container: JsonObject | JsonValue[], isArray: boolean, ctx: unknown): Frame {
    if (this.stack.length >= MAX_DEPTH) this.fail('exceeded max depth');
    const fr: Frame = { container, isArray, key: '', ctx, childCtx: ctx };
    this.stack.push(fr);
    return fr;
  }

  decode(): DecodedJson {
    const s = this.s;
    const stack = this.stack;
    let ctx: unknown = this.root;
    let v: JsonValue;
    for (;;) {
      // A value starts here.
      const c = this.skipWs();
      switch (c) {
        case 0x7b: { // {
          const fr = this.push({}, false, ctx);
          this.i++;
          if (this.skipWs() === 0x7d) {
            this.i++;
            stack.pop();
            v = fr.container;
            break;
          }
          this.memberKey(fr);
          ctx = fr.childCtx;
          continue;
        }
        case 0x5b: { // [
          const itemCtx = ctx === SKIP || !this.tracker ? ctx : this.tracker.item(ctx as C);
          const fr = this.push([], true, ctx);
          fr.childCtx = itemCtx;
          this.i++;
          if (this.skipWs() === 0x5d) {
            this.i++;
            stack.pop();
            v = fr.container;
            break;
          }
          ctx = itemCtx;
          continue;
        }
        case 0x22: v = this.string(); break;
        case 0x74: v = this.literal('true', true); break;
        case 0x66: v = this.literal('false', false); break;
        case 0x6e: v = this.literal('null', null); break;
        default:
          if (c === 0x2d || (c >= 0x30 && c <= 0x39)) v = this.number();
          else this.fail('looking for beginning of value');
      }
      // A value ended: store it and read what follows.
      for (;;) {
        const fr = stack[stack.length - 1];
        if (!fr) {
          this.skipWs();
          if (this.i < s.length) this.fail('after top-level value');
          if (this.valueError !== undefined) throw new JsonValueError(this.valueError);
          return { value: v, strictErrors: this.errors };
        }
        if (fr.isArray) {
          (fr.container as JsonValue[]).push(v);
          const n = this.skipWs();
          if (n === 0x2c) {
            this.i++;
            ctx = fr.childCtx;
            break;
          }
          if (n === 0x5d) {
            this.i++;
            stack.pop();
            v = fr.container;
            continue;
          }
          this.fail('after array element');
        } else {
          const obj = fr.container as JsonObject;
          if (fr.key === '__proto__') {
            Object.defineProperty(obj, '__proto__', { value: v, writable: true, enumerable: true, configurable: true });
          } else {
            obj[fr.key] = v;
          }
          const n = this.skipWs();
          if (n === 0x2c) {
            this.i++;
            this.memberKey(fr);
            ctx = fr.childCtx;
            break;
          }
          if (n === 0x7d) {
            this.i++;
            stack.pop();
            v = obj;
            continue;
          }
          this.fail('after object key:value pair');
        }
      }
    }
  }
}

function toText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return buf.toString('utf8');
}

/**
 * Decodes one JSON document. Throws JsonSyntaxError for malformed input and
 * JsonValueError for numbers Go cannot represent; strict problems are returned.
 */
export function decodeJson<C = never>(input: string | Uint8Array, opts: DecodeJsonOptions<C> = {}): DecodedJson {
  return new Decoder<C>(toText(input), opts).decode();
}

/** Decodes one JSON document, ignoring duplicate members (last one wins). */
export function parseJson(input: string | Uint8Array): JsonValue {
  return new Decoder<never>(toText(input), { duplicates: false }).decode().value;
}
