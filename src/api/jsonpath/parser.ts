// The template language of Kubernetes JSONPath (kubectl -o jsonpath, CRD printer
// columns, selectable fields): text with `{...}` actions holding fields, array
// subscripts and slices, unions, filters, recursive descent, range/end. The parser
// builds the same node tree as client-go's, and fails with the same messages.

export interface SliceParam {
  value: number;
  known: boolean;
  /** The end of a plain index `[i]`: i+1, derived rather than written. */
  derived: boolean;
}

export type Node =
  | { type: 'list'; nodes: Node[] }
  | { type: 'text'; text: string }
  | { type: 'field'; value: string }
  | { type: 'array'; params: [SliceParam, SliceParam, SliceParam] }
  | { type: 'filter'; left: ListNode; right: ListNode; operator: string }
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'wildcard' }
  | { type: 'recursive' }
  | { type: 'union'; nodes: ListNode[] }
  | { type: 'identifier'; name: string };

export type ListNode = Extract<Node, { type: 'list' }>;

export class JSONPathSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JSONPathSyntaxError';
  }
}

const EOF = -1;
const leftDelim = '{';
const rightDelim = '}';
const dictKeyRe = /^'([^']*)'$/;
const sliceOperatorRe = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/;
const filterRe = /^([^!<>=]+)([!<>=]+)(.+?)$/s;

function newList(): ListNode {
  return { type: 'list', nodes: [] };
}

function isSpace(r: number): boolean {
  return r === 0x20 || r === 0x09;
}

function isEndOfLine(r: number): boolean {
  return r === 0x0d || r === 0x0a;
}

function isLetter(r: number): boolean {
  return r >= 0 && /\p{L}/u.test(String.fromCodePoint(r));
}

function isDigit(r: number): boolean {
  return r >= 0 && /\p{Nd}/u.test(String.fromCodePoint(r));
}

function isAlphaNumeric(r: number): boolean {
  return r === 0x5f || isLetter(r) || isDigit(r);
}

function isTerminator(r: number): boolean {
  if (isSpace(r) || isEndOfLine(r)) return true;
  return r === EOF || '.,[]$@{}'.includes(String.fromCodePoint(r));
}

/** Go's %#U: `U+0023 '#'`. */
function formatRune(r: number): string {
  const hex = `U+${r.toString(16).toUpperCase().padStart(4, '0')}`;
  const ch = String.fromCodePoint(r);
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/u.test(ch) ? `${hex} '${ch}'` : hex;
}

/** Go's strconv.Atoi: optional sign, decimal digits, within int64. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : Math.abs(n) < 2 ** 63 ? n : undefined;
}

/** Go's strconv.ParseFloat for the digits-and-dots numbers the parser reads. */
function parseFloatGo(s: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s)) return undefined;
  return Number(s);
}

/** Go's strconv.Unquote extended to single-quoted strings of any length. */
export function unquoteExtend(s: string): string {
  if (s.length < 2) throw new JSONPathSyntaxError('invalid syntax');
  const quote = s[0]!;
  if (quote !== s[s.length - 1] || (quote !== '"' && quote !== "'")) throw new JSONPathSyntaxError('invalid syntax');
  const body = s.slice(1, -1);
  if (!body.includes('\\') && !body.includes(quote)) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === quote) throw new JSONPathSyntaxError('invalid syntax');
    if (c !== '\\') { out += c; continue; }
    const e = body[++i];
    switch (e) {
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case "'": case '"':
        if (e !== quote) throw new JSONPathSyntaxError('invalid syntax');
        out += e;
        break;
      case 'x': case 'u': case 'U': {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) throw new JSONPathSyntaxError('invalid syntax');
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) throw new JSONPathSyntaxError('invalid syntax');
        out += String.fromCodePoint(cp);
        i += len;
        break;
      }
      default:
        if (e !== undefined && /[0-7]/.test(e)) {
          const oct = body.slice(i, i + 3);
          if (!/^[0-7]{3}$/.test(oct)) throw new JSONPathSyntaxError('invalid syntax');
          out += String.fromCharCode(parseInt(oct, 8));
          i += 2;
          break;
        }
        throw new JSONPathSyntaxError('invalid syntax');
    }
  }
  return out;
}

/** Parses a JSONPath template. */
export class Parser {
  readonly name: string;
  root: ListNode = newList();
  private input = '';
  private pos = 0;
  private start = 0;
  private width = 0;

  constructor(name: string) {
    this.name = name;
  }

  parse(text: string): ListNode {
    this.input = text;
    this.root = newList();
    this.pos = 0;
    this.start = 0;
    this.parseText(this.root);
    return this.root;
  }

  private consumeText(): string {
    const v = this.input.slice(this.start, this.pos);
    this.start = this.pos;
    return v;
  }

  private next(): number {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    const r = this.input.codePointAt(this.pos)!;
    this.width = r > 0xffff ? 2 : 1;
    this.pos += this.width;
    return r;
  }

  private peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  private backup(): void {
    this.pos -= this.width;
  }

  private rest(): string {
    return this.input.slice(this.pos);
  }

  private parseText(cur: ListNode): void {
    for (;;) {
      if (this.rest().startsWith(leftDelim)) {
        if (this.pos > this.start) cur.nodes.push({ type: 'text', text: this.consumeText() });
        this.parseLeftDelim(cur);
        return;
      }
      if (this.next() === EOF) break;
    }
    if (this.pos > this.start) cur.nodes.push({ type: 'text', text: this.consumeText() });
  }

  private parseLeftDelim(cur: ListNode): void {
    this.pos += leftDelim.length;
    this.consumeText();
    const node = newList();
    cur.nodes.push(node);
    this.parseInsideAction(node);
  }

  private parseInsideAction(cur: ListNode): void {
    // Iterative over the characters that do not end the action.
    for (;;) {
      const rest = this.rest();
      if (rest.startsWith(rightDelim)) return this.parseRightDelim();
      if (rest.startsWith('[?(')) { this.parseFilter(cur); continue; }
      if (rest.startsWith('..')) { this.parseRecursive(cur); continue; }
      const r = this.next();
      if (r === EOF || isEndOfLine(r)) throw new JSONPathSyntaxError('unclosed action');
      if (r === 0x20) { this.consumeText(); continue; }
      if (r === 0x40 || r === 0x24) { this.consumeText(); continue; } // @ or $: the current object
      if (r === 0x5b) { this.parseArray(cur); continue; }
      if (r === 0x22 || r === 0x27) { this.parseQuote(cur, r); continue; }
      if (r === 0x2e) { this.parseField(cur); continue; }
      if (r === 0x2b || r === 0x2d || isDigit(r)) { this.backup(); this.parseNumber(cur); continue; }
      if (isAlphaNumeric(r)) { this.backup(); this.parseIdentifier(cur); continue; }
      throw new JSONPathSyntaxError(`unrecognized character in action: ${formatRune(r)}`);
    }
  }

  private parseRightDelim(): void {
    this.pos += rightDelim.length;
    this.consumeText();
    this.parseText(this.root);
  }

  private parseIdentifier(cur: ListNode): void {
    for (;;) {
      const r = this.next();
      if (isTerminator(r)) { this.backup(); break; }
    }
    const value = this.consumeText();
    if (value === 'true' || value === 'false') cur.nodes.push({ type: 'bool', value: value === 'true' });
    else cur.nodes.push({ type: 'identifier', name: value });
  }

  private parseRecursive(cur: ListNode): void {
    const last = cur.nodes[cur.nodes.length - 1];
    if (last && last.type === 'recursive') throw new JSONPathSyntaxError('invalid multiple recursive descent');
    this.pos += 2;
    this.consumeText();
    cur.nodes.push({ type: 'recursive' });
    if (isAlphaNumeric(this.peek())) this.parseField(cur);
  }

  private parseNumber(cur: ListNode): void {
    let r = this.peek();
    if (r === 0x2b || r === 0x2d) this.next();
    for (;;) {
      r = this.next();
      if (r !== 0x2e && !isDigit(r)) { this.backup(); break; }
    }
    const value = this.consumeText();
    const i = atoi(value);
    if (i !== undefined) { cur.nodes.push({ type: 'int', value: i }); return; }
    const f = parseFloatGo(value);
    if (f !== undefined) { cur.nodes.push({ type: 'float', value: f }); return; }
    throw new JSONPathSyntaxError(`cannot parse number ${value}`);
  }

  private parseArray(cur: ListNode): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || r === 0x0a) throw new JSONPathSyntaxError('unterminated array');
      if (r === 0x5d) break;
    }
    let text = this.consumeText();
    text = text.slice(1, -1);
    if (text === '*') text = ':';

    const parts = text.split(',');
    if (parts.length > 1) {
      const union: ListNode[] = [];
      for (const s of parts) union.push(parseAction('union', `[${trimSpaces(s)}]`));
      cur.nodes.push({ type: 'union', nodes: union });
      return;
    }

    const dict = dictKeyRe.exec(text);
    if (dict) {
      const p = parseAction('arraydict', `.${dict[1]}`);
      cur.nodes.push(...p.nodes);
      return;
    }

    const m = sliceOperatorRe.exec(text);
    if (!m) throw new JSONPathSyntaxError(`invalid array index ${text}`);
    const values = [m[1] ?? '', m[2] ?? '', m[3] ?? ''];
    const params: [SliceParam, SliceParam, SliceParam] = [
      { value: 0, known: false, derived: false },
      { value: 0, known: false, derived: false },
      { value: 0, known: false, derived: false },
    ];
    for (let i = 0; i < 3; i++) {
      let v = values[i]!;
      if (v !== '') {
        if (i > 0) v = v.slice(1);
        if (i > 0 && v === '') {
          params[i]!.known = false;
        } else {
          const n = atoi(v);
          if (n === undefined) throw new JSONPathSyntaxError(`array index ${v} is not a number`);
          params[i]!.known = true;
          params[i]!.value = n;
        }
      } else if (i === 1) {
        params[1].known = true;
        params[1].value = params[0].value + 1;
        params[1].derived = true;
      } else {
        params[i]!.known = false;
        params[i]!.value = 0;
      }
    }
    cur.nodes.push({ type: 'array', params });
  }

  private parseFilter(cur: ListNode): void {
    this.pos += 3;
    this.consumeText();
    let begin = false, end = false;
    let pair = 0;
    for (;;) {
      const r = this.next();
      if (r === EOF || r === 0x0a) throw new JSONPathSyntaxError('unterminated filter');
      if (r === 0x22 || r === 0x27) {
        if (!begin) { begin = true; pair = r; continue; }
        if (this.input[this.pos - 2] !== '\\' && r === pair) end = true;
      } else if (r === 0x29) {
        if (begin === end) break;
      }
    }
    if (this.next() !== 0x5d) throw new JSONPathSyntaxError('unclosed array expect ]');
    let text = this.consumeText();
    text = text.slice(0, -2);
    const m = filterRe.exec(text);
    if (!m) {
      cur.nodes.push({ type: 'filter', left: parseAction('text', text), right: newList(), operator: 'exists' });
    } else {
      cur.nodes.push({ type: 'filter', left: parseAction('left', m[1]!), right: parseAction('right', m[3]!), operator: m[2]! });
    }
  }

  private parseQuote(cur: ListNode, endQuote: number): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || r === 0x0a) throw new JSONPathSyntaxError('unterminated quoted string');
      if (r === endQuote && this.input[this.pos - 2] !== '\\') break;
    }
    const value = this.consumeText();
    let s: string;
    try {
      s = unquoteExtend(value);
    } catch (e) {
      throw new JSONPathSyntaxError(`unquote string ${value} error ${(e as Error).message}`);
    }
    cur.nodes.push({ type: 'text', text: s });
  }

  private parseField(cur: ListNode): void {
    this.consumeText();
    while (this.advance()) { /* consume the field name */ }
    const value = this.consumeText();
    if (value === '*') cur.nodes.push({ type: 'wildcard' });
    else cur.nodes.push({ type: 'field', value: value.replaceAll('\\', '') });
  }

  private advance(): boolean {
    const r = this.next();
    if (r === 0x5c) {
      this.next();
    } else if (isTerminator(r)) {
      this.backup();
      return false;
    }
    return true;
  }
}

function trimSpaces(s: string): string {
  return s.replace(/^ +| +$/g, '');
}

/** Parse `{text}` and return the list inside the action. */
function parseAction(name: string, text: string): ListNode {
  const p = new Parser(name);
  const root = p.parse(`${leftDelim}${text}${rightDelim}`);
  return root.nodes[0] as ListNode;
}

/** Parse a whole template (text and `{...}` actions). */
export function parseTemplate(name: string, text: string): ListNode {
  return new Parser(name).parse(text);
}
