// YAML request bodies, decoded to the same JSON values as kube-apiserver gets from
// sigs.k8s.io/yaml: YAML 1.1 scalars as go-yaml v2 resolves them (yes/no/on/off are
// booleans, 0777 is octal, timestamps stay strings), only the first document,
// merge keys (`<<`), anchors and aliases. Duplicate keys are reported in go-yaml's
// strict wording (`line 4: key "name" already set in map`); the value keeps the last.
//
// Errors are thrown as YamlError with go-yaml-like texts ("yaml: line 2: mapping
// values are not allowed in this context"); syntax problems the underlying parser
// words differently keep its words after "yaml: line N: ".
import type { Document, LineCounter, Node, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { yamlLib } from './yaml-lib.ts';

// The library's node predicates, resolved when first needed (see yaml-lib.ts).
const isAlias = (n: unknown) => yamlLib().isAlias(n);
const isMap = (n: unknown) => yamlLib().isMap(n);
const isScalar = (n: unknown): n is Scalar => yamlLib().isScalar(n);
const isSeq = (n: unknown) => yamlLib().isSeq(n);
import type { JsonObject, JsonValue } from '../types.ts';
import { goFormatFloat, goQuote } from './go-text.ts';

/** A body that is not valid YAML, or a value JSON cannot hold. */
export class YamlError extends Error {
  /** 1-based line of the problem, when known. */
  readonly line: number | undefined;
  constructor(message: string, line?: number) {
    super(message);
    this.name = 'YamlError';
    this.line = line;
  }
}

export interface DecodedYaml {
  value: JsonValue;
  /** go-yaml strict problems, e.g. `line 4: key "name" already set in map`. */
  duplicates: string[];
}

/** The strict error go-yaml raises for duplicate keys (one error, one line each). */
export function yamlStrictErrorText(duplicates: readonly string[]): string {
  return `yaml: unmarshal errors:\n  ${duplicates.join('\n  ')}`;
}

// ---- scalar resolution (go-yaml v2) ---------------------------------------

type GoScalar =
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

const TAG = 'tag:yaml.org,2002:';
const specials: Record<string, GoScalar> = {};
for (const s of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) specials[s] = { t: 'bool', v: true };
for (const s of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']) specials[s] = { t: 'bool', v: false };
for (const s of ['', '~', 'null', 'Null', 'NULL']) specials[s] = { t: 'null' };
for (const s of ['.nan', '.NaN', '.NAN']) specials[s] = { t: 'float', v: NaN };
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) specials[s] = { t: 'float', v: Infinity };
for (const s of ['-.inf', '-.Inf', '-.INF']) specials[s] = { t: 'float', v: -Infinity };
specials['<<'] = { t: 'str', v: '<<' };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go's strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64) as one: undefined when neither parses. */
function parseGoInt(s: string): bigint | undefined {
  const m = /^([+-]?)(0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  let body = m[2]!;
  if (body.length > 1 && body[0] === '0' && /[0-7]/.test(body[1]!)) body = `0o${body.slice(1)}`;
  let v = BigInt(body.toLowerCase());
  if (m[1] === '-') v = -v;
  if (v >= INT64_MIN && v <= INT64_MAX) return v;
  if (m[1] !== '-' && v <= UINT64_MAX && m[1] !== '+') return v; // ParseUint rejects signs
  return undefined;
}

function resolvePlain(s: string): GoScalar {
  const special = Object.prototype.hasOwnProperty.call(specials, s) ? specials[s] : undefined;
  const c = s[0] ?? '';
  if (special && (c === '' || '+-0123456789yYnNtTfFoO~.<'.includes(c))) return special;
  if (c === '.') {
    const f = Number(s);
    if (/^\.[0-9]/.test(s) && Number.isFinite(f) && yamlStyleFloat.test(s)) return { t: 'float', v: f };
    return { t: 'str', v: s };
  }
  if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
    const plain = s.replace(/_/g, '');
    const i = parseGoInt(plain);
    if (i !== undefined) return { t: 'int', v: i };
    if (yamlStyleFloat.test(plain)) {
      const f = Number(plain);
      if (Number.isFinite(f)) return { t: 'float', v: f };
    }
  }
  return { t: 'str', v: s };
}

function shortTag(tag: string): string {
  return tag.startsWith(TAG) ? `!!${tag.slice(TAG.length)}` : tag;
}

function kindTag(g: GoScalar): string {
  return `${TAG}${g.t === 'str' ? 'str' : g.t}`;
}

/** A scalar node's Go value, honouring explicit tags as go-yaml does. */
function resolveScalar(node: Scalar, lc: LineCounter): GoScalar {
  const text = typeof node.value === 'string' ? node.value : String(node.source ?? node.value ?? '');
  const tag = node.tag;
  const plain = node.type === 'PLAIN' || node.type === undefined;
  if (!tag || tag === '!') return plain && !tag ? resolvePlain(text) : { t: 'str', v: text };
  switch (tag) {
    case `${TAG}str`: return { t: 'str', v: text };
    case `${TAG}binary`: {
      const clean = text.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
        throw new YamlError(`yaml: line ${lineOf(node, lc)}: !!binary value contains invalid base64 data`, lineOf(node, lc));
      }
      return { t: 'str', v: Buffer.from(clean, 'base64').toString('utf8') };
    }
    case `${TAG}merge`: return { t: 'str', v: '<<' };
    case `${TAG}timestamp`: {
      if (/^[0-9]{4}-/.test(text)) return { t: 'str', v: text };
      break;
    }
    case `${TAG}int`: case `${TAG}float`: case `${TAG}bool`: case `${TAG}null`: {
      const r = resolvePlain(text);
      if (kindTag(r) === tag) return r;
      if (tag === `${TAG}float` && r.t === 'int') return { t: 'float', v: Number(r.v) };
      throw new YamlError(`yaml: cannot decode ${shortTag(kindTag(r))} \`${text}\` as a ${shortTag(tag)}`);
    }
    default:
      return { t: 'str', v: text };
  }
  throw new YamlError(`yaml: cannot decode !!str \`${text}\` as a ${shortTag(tag)}`);
}

function lineOf(node: Node, lc: LineCounter): number {
  return lc.linePos(node.range?.[0] ?? 0).line;
}

// ---- conversion to JSON values ---------------------------------------------

/** go-yaml v2's tolerance for aliases relative to decoded nodes. */
function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= 400_000) return 0.99;
  if (decodeCount >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decodeCount - 400_000) / 3_600_000);
}

function scalarToJson(g: GoScalar): JsonValue {
  switch (g.t) {
    case 'str': return g.v;
    case 'bool': return g.v;
    case 'null': return null;
    case 'int': return Number(g.v);
    case 'float':
      if (!Number.isFinite(g.v)) throw new YamlError(`json: unsupported value: ${goFormatFloat(g.v)}`);
      return g.v;
  }
}

/** The JSON key a YAML key becomes (sigs.k8s.io/yaml's rules). */
function keyToJson(g: GoScalar, valueText: () => string): string {
  switch (g.t) {
    case 'str': return g.v;
    case 'int': return g.v.toString();
    case 'bool': return g.v ? 'true' : 'false';
    case 'float': {
      const s = goFormatFloat(g.v, 32);
      return s === '+Inf' ? '.inf' : s === '-Inf' ? '-.inf' : s === 'NaN' ? '.nan' : s;
    }
    case 'null':
      throw new YamlError(`unsupported map key of type: %!s(<nil>), key: <nil>, value: ${valueText()}`);
  }
}

/** go-yaml's %#v of a key, as printed in "key %#v already set in map". */
function keyForMessage(g: GoScalar): string {
  switch (g.t) {
    case 'str': return goQuote(g.v);
    case 'int': return g.v.toString();
    case 'bool': return g.v ? 'true' : 'false';
    case 'float': return goFormatFloat(g.v);
    case 'null': return 'interface {}(nil)';
  }
}

interface MapEntry { jsonKey: string; value: JsonValue }
interface Entries { byIdentity: Map<string, MapEntry>; byJsonKey: Map<string, MapEntry> }

class Converter {
  private readonly doc: Document;
  private readonly lc: LineCounter;
  private readonly src: string;
  readonly duplicates: string[] = [];
  private decodeCount = 0;
  private aliasCount = 0;
  private aliasDepth = 0;
  private readonly active = new Set<Node>();

  constructor(doc: Document, lc: LineCounter, src: string) {
    this.doc = doc;
    this.lc = lc;
    this.src = src;
  }

  private count(): void {
    this.decodeCount++;
    if (this.aliasDepth > 0) this.aliasCount++;
    if (this.aliasCount > 100 && this.decodeCount > 1000 && this.aliasCount / this.decodeCount > allowedAliasRatio(this.decodeCount)) {
      throw new YamlError('yaml: document contains excessive aliasing');
    }
  }

  value(node: Node | null | undefined): JsonValue {
    if (!node) return null;
    this.count();
    if (isAlias(node)) {
      const target = node.resolve(this.doc) as Node | undefined;
      if (!target) throw new YamlError(`yaml: unknown anchor '${node.source}' referenced`, lineOf(node, this.lc));
      if (this.active.has(target)) throw new YamlError(`yaml: anchor '${node.source}' value contains itself`, lineOf(node, this.lc));
      this.aliasDepth++;
      try {
        return this.value(target);
      } finally {
        this.aliasDepth--;
      }
    }
    if (isScalar(node)) {
      const r = resolveScalar(node, this.lc);
      // A block scalar ending the input without a line break has none to keep.
      if (r.t === 'str' && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') && r.v.endsWith('\n') && node.range &&
        !this.src.slice(node.range[0], node.range[2]).endsWith('\n')) {
        return r.v.slice(0, -1);
      }
      return scalarToJson(r);
    }
    this.active.add(node);
    try {
      if (isSeq(node)) return (node as YAMLSeq<Node>).items.map((item) => this.value(item));
      if (isMap(node)) {
        const entries: Entries = { byIdentity: new Map(), byJsonKey: new Map() };
        this.mapInto(node as YAMLMap<Node, Node>, entries);
        const out: JsonObject = {};
        for (const { jsonKey, value } of entries.byJsonKey.values()) {
          if (jsonKey === '__proto__') Object.defineProperty(out, jsonKey, { value, writable: true, enumerable: true, configurable: true });
          else out[jsonKey] = value;
        }
        return out;
      }
    } finally {
      this.active.delete(node);
    }
    return null;
  }

  /** Adds a mapping's pairs to `entries` (keyed by Go key identity), as go-yaml's mapping(). */
  private mapInto(map: YAMLMap<Node, Node>, entries: Entries): void {
    for (const pair of map.items) {
      const keyNode = pair.key as Node | null;
      const valueNode = pair.value as Node | null;
      if (keyNode && isScalar(keyNode) && keyNode.value === '<<' &&
        (((keyNode.type === 'PLAIN' || keyNode.type === undefined) && !keyNode.tag) || keyNode.tag === `${TAG}merge`)) {
        this.merge(valueNode, entries);
        continue;
      }
      let key: GoScalar;
      if (!keyNode) key = { t: 'null' };
      else if (isScalar(keyNode)) key = resolveScalar(keyNode, this.lc);
      else if (isAlias(keyNode) && isScalar(keyNode.resolve(this.doc))) key = resolveScalar(keyNode.resolve(this.doc) as Scalar, this.lc);
      else throw new YamlError(`yaml: invalid map key: ${String(keyNode)}`, lineOf(keyNode, this.lc));
      const value = this.value(valueNode);
      const identity = `${key.t}:${key.t === 'null' ? '' : String(key.v)}`;
      const jsonKey = keyToJson(key, () => JSON.stringify(value));
      const existing = entries.byIdentity.get(identity);
      if (existing) {
        this.duplicates.push(`line ${this.valueLine(valueNode, keyNode)}: key ${keyForMessage(key)} already set in map`);
        existing.value = value; // the later pair wins in non-strict decoding
        continue;
      }
      // Distinct YAML keys may become one JSON key (1 and "1"); the later wins.
      const clash = entries.byJsonKey.get(jsonKey);
      if (clash) {
        clash.value = value;
        entries.byIdentity.set(identity, clash);
        continue;
      }
      const entry: MapEntry = { jsonKey, value };
      entries.byIdentity.set(identity, entry);
      entries.byJsonKey.set(jsonKey, entry);
    }
  }

  private merge(node: Node | null, entries: Entries): void {
    const wantMap = () => new YamlError('yaml: map merge requires map or sequence of maps as the value');
    const asMap = (n: Node | null): YAMLMap<Node, Node> => {
      let target = n;
      if (target && isAlias(target)) target = target.resolve(this.doc) as Node;
      if (!target || !isMap(target)) throw wantMap();
      return target as YAMLMap<Node, Node>;
    };
    if (node && isSeq(node)) {
      const items = (node as YAMLSeq<Node>).items;
      // Earlier maps take precedence, so they are applied last.
      for (let k = items.length - 1; k >= 0; k--) this.mapInto(asMap(items[k]!), entries);
      return;
    }
    this.mapInto(asMap(node), entries);
  }

  /** The line go-yaml reports for a value: an empty value takes the next token's line. */
  private valueLine(valueNode: Node | null, keyNode: Node | null): number {
    const n = valueNode ?? keyNode;
    if (!n) return 1;
    if (isScalar(n) && n.value === '' && (n.type === 'PLAIN' || n.type === undefined) && !n.tag && !n.anchor) {
      let at = n.range?.[0] ?? 0;
      const s = this.src;
      for (;;) {
        while (at < s.length && /\s/.test(s[at]!)) at++;
        if (s[at] === '#') {
          while (at < s.length && s[at] !== '\n') at++;
          continue;
        }
        break;
      }
      return this.lc.linePos(Math.min(at, s.length)).line;
    }
    return lineOf(n, this.lc);
  }
}

/** go-yaml's wording for the parser's most common complaints. */
const libyamlProblems: Partial<Record<string, string>> = {
  BLOCK_AS_IMPLICIT_KEY: 'mapping values are not allowed in this context',
  TAB_AS_INDENT: 'found character that cannot start any token',
  MISSING_CHAR: 'found unexpected end of stream',
  MULTILINE_IMPLICIT_KEY: 'could not find expected \':\'',
  BAD_INDENT: 'did not find expected key',
  UNEXPECTED_TOKEN: 'did not find expected node content',
  BAD_DQ_ESCAPE: 'found unknown escape character',
};

function toText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return buf.toString('utf8');
}

/** Decodes the first YAML document of a body into a JSON value. Throws YamlError. */
export function decodeYaml(input: string | Uint8Array): DecodedYaml {
  const src = toText(input);
  const lc = new (yamlLib().LineCounter)();
  const docs = yamlLib().parseAllDocuments(src, {
    version: '1.1', schema: 'failsafe', uniqueKeys: false, merge: false, lineCounter: lc, prettyErrors: false,
    strict: false,
  });
  const list = Array.isArray(docs) ? docs : [];
  const doc = list[0];
  if (!doc) return { value: null, duplicates: [] };
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line ?? lc.linePos(err.pos[0]).line;
    const firstLine = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const problem = /^Flow sequence/.test(firstLine) ? "did not find expected ',' or ']'"
      : /^Flow mapping/.test(firstLine) ? "did not find expected ',' or '}'"
        : libyamlProblems[err.code] ?? firstLine.charAt(0).toLowerCase() + firstLine.slice(1);
    if (err.code === 'BAD_ALIAS' || /anchor not found/i.test(err.message)) {
      const name = /: (\S+)$/.exec(firstLine)?.[1] ?? '';
      throw new YamlError(`yaml: unknown anchor '${name}' referenced`, line);
    }
    if (/call stack/i.test(err.message)) throw new YamlError('yaml: exceeded max depth of 10000', line);
    throw new YamlError(`yaml: line ${line}: ${problem}`, line);
  }
  const conv = new Converter(doc, lc, src);
  try {
    const value = conv.value(doc.contents as Node | null);
    return { value, duplicates: conv.duplicates };
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw new YamlError('yaml: exceeded max depth of 10000');
    throw e;
  }
}
