// Evaluating Kubernetes JSONPath templates over decoded JSON (the values a
// server holds: objects, arrays, strings, numbers, booleans, null), with
// client-go's semantics: results per action, missing keys as errors unless
// allowed, filters comparing like Go templates, range/end, and the printing
// rules of `kubectl -o jsonpath` (scalars as text, objects and lists as JSON).

import { JSONPathSyntaxError, parseTemplate } from './parser.ts';
import type { ListNode, Node } from './parser.ts';
import { goFloat, goJSON, goJSONIndent, goNumber, goTypeOf, goValue, isGoInt } from './values.ts';

/**
 * A value that is not there at all (Go's invalid reflect.Value, from a nil
 * interface handed to FindResults): it prints as `<no value>`, where a JSON
 * null found in an object prints as `null`.
 */
export const NO_VALUE: unique symbol = Symbol('no value');

/** A float literal of a template (`1.0`), distinct from the integers JSON holds. */
class GoFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

/** A failure while evaluating; `partial` is what Go returns beside the error. */
export class JSONPathError extends Error {
  readonly partial: unknown[];
  constructor(message: string, partial: unknown[] = []) {
    super(message);
    this.name = 'JSONPathError';
    this.partial = partial;
  }
}

export { JSONPathSyntaxError };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoFloat);
}

/** template.Indirect: a JSON null found in a container is a nil interface. */
function isNil(v: unknown): boolean {
  return v === null || v === undefined;
}

/** Go's type of a value as reflect prints it in errors. */
function typeName(v: unknown): string {
  if (v === NO_VALUE) return '<nil>';
  if (v instanceof GoFloat) return 'float64';
  return goTypeOf(v);
}

type Kind = 'bool' | 'int' | 'float' | 'string';

function basicKind(v: unknown): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return isGoInt(v) ? 'int' : 'float';
  if (v instanceof GoFloat) return 'float';
  if (typeof v === 'string') return 'string';
  throw new JSONPathError('invalid type for comparison');
}

function numOf(v: unknown): number {
  return v instanceof GoFloat ? v.value : (v as number);
}

function equal(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a), k2 = basicKind(b);
  if (k1 !== k2) throw new JSONPathError('incompatible types for comparison');
  if (k1 === 'int' || k1 === 'float') return numOf(a) === numOf(b);
  return a === b;
}

function less(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a), k2 = basicKind(b);
  if (k1 !== k2) throw new JSONPathError('incompatible types for comparison');
  if (k1 === 'bool') throw new JSONPathError('invalid type for comparison');
  if (k1 === 'string') return (a as string) < (b as string);
  return numOf(a) < numOf(b);
}

function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '<': return less(a, b);
    case '>': return !(less(a, b) || equal(a, b));
    case '==': return equal(a, b);
    case '!=': return !equal(a, b);
    case '<=': return less(a, b) || equal(a, b);
    case '>=': return !less(a, b);
    default: throw new JSONPathError(`unrecognized filter operator ${op}`);
  }
}

/** The members of a value that wildcards and recursive descent visit. */
function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Object.values(v);
  if (typeof v === 'string') return [...Buffer.from(v, 'utf8')];
  return [];
}

/** A parsed JSONPath template, ready to evaluate against data. */
export class JSONPath {
  readonly name: string;
  private root: ListNode | undefined;
  private beginRange = 0;
  private inRange = 0;
  private endRange = 0;
  private lastEndNode: Node | undefined;
  private missingKeysAllowed = false;
  private outputJSON = false;

  constructor(name: string) {
    this.name = name;
  }

  /** Missing keys yield no results instead of an error. */
  allowMissingKeys(allow: boolean): this {
    this.missingKeysAllowed = allow;
    return this;
  }

  /** Print the results of an action as one indented JSON list. */
  enableJSONOutput(v: boolean): this {
    this.outputJSON = v;
    return this;
  }

  /** Parse a template; throws JSONPathSyntaxError with client-go's message. */
  parse(text: string): this {
    this.root = parseTemplate(this.name, text);
    return this;
  }

  /** The values each template node yields, in order (text nodes yield their text). */
  findResults(data: unknown): unknown[][] {
    if (!this.root) throw new JSONPathError(`${this.name} is an incomplete jsonpath template`);
    this.beginRange = 0;
    this.inRange = 0;
    this.endRange = 0;
    this.lastEndNode = undefined;
    return this.findIn(this.root.nodes, data);
  }

  /** Evaluate and print, as `kubectl -o jsonpath` does. */
  execute(data: unknown): string {
    let out = '';
    for (const results of this.findResults(data)) out += this.printResults(results);
    return out;
  }

  /** Text of one node's results: scalars as Go prints them, objects and lists as JSON, space-separated. */
  printResults(results: readonly unknown[]): string {
    let list = results;
    if (this.outputJSON) list = [results.map((r) => (r === NO_VALUE ? null : r instanceof GoFloat ? r.value : r))];
    let out = '';
    list.forEach((r, i) => {
      let text: string;
      if (this.outputJSON) text = `${goJSONIndent(r, '    ')}\n`;
      else if (Array.isArray(r) || isObject(r)) text = goJSON(r);
      else text = textOf(r);
      if (i !== list.length - 1) text += ' ';
      out += text;
    });
    return out;
  }

  private findIn(nodes: readonly Node[], data: unknown): unknown[][] {
    const cur = [data === null || data === undefined ? NO_VALUE : data];
    const full: unknown[][] = [];
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      const results = this.walk(cur, node);
      if (this.endRange > 0 && this.endRange <= this.inRange) {
        this.endRange--;
        this.lastEndNode = node;
        break;
      }
      if (this.beginRange > 0) {
        this.beginRange--;
        this.inRange++;
        const rest = nodes.slice(i + 1);
        if (results.length > 0) {
          for (const value of results) full.push(...this.findIn(rest, value));
        } else {
          this.findIn(rest, null);
        }
        this.inRange--;
        for (let k = i + 1; k < nodes.length; k++) {
          if (nodes[k] === this.lastEndNode) {
            i = k;
            break;
          }
        }
        continue;
      }
      full.push(results);
    }
    return full;
  }

  private walk(input: unknown[], node: Node): unknown[] {
    switch (node.type) {
      case 'list': return this.evalList(input, node);
      case 'text': return [node.text];
      case 'field': return this.evalField(input, node.value);
      case 'array': return this.evalArray(input, node);
      case 'filter': return this.evalFilter(input, node);
      case 'int': return input.map(() => node.value);
      case 'float': return input.map(() => new GoFloat(node.value));
      case 'bool': return input.map(() => node.value);
      case 'wildcard': return this.evalWildcard(input);
      case 'recursive': return this.evalRecursive(input);
      case 'union': return this.evalUnion(input, node.nodes);
      case 'identifier': return this.evalIdentifier(input, node.name);
    }
  }

  private evalList(input: unknown[], node: ListNode): unknown[] {
    let cur = input;
    for (const n of node.nodes) cur = this.walk(cur, n);
    return cur;
  }

  private evalIdentifier(input: unknown[], name: string): unknown[] {
    switch (name) {
      case 'range':
        this.beginRange++;
        return input;
      case 'end':
        if (this.inRange > 0) {
          this.endRange++;
          return [];
        }
        throw new JSONPathError('not in range, nothing to end', []);
      default:
        throw new JSONPathError(`unrecognized identifier ${name}`, input);
    }
  }

  private evalArray(input: unknown[], node: Extract<Node, { type: 'array' }>): unknown[] {
    const result: unknown[] = [];
    for (const value of input) {
      if (isNil(value)) continue;
      if (!Array.isArray(value)) throw new JSONPathError(`${typeName(value)} is not array or slice`, input);
      const p = node.params.map((x) => ({ ...x }));
      const [start, end, step] = [p[0]!, p[1]!, p[2]!];
      if (!start.known) start.value = 0;
      if (start.value < 0) start.value += value.length;
      if (!end.known) end.value = value.length;
      if (end.value < 0 || (end.value === 0 && end.derived)) end.value += value.length;
      const len = value.length;
      if (end.value === start.value) return result;
      if (start.value >= len || start.value < 0) {
        throw new JSONPathError(`array index out of bounds: index ${start.value}, length ${len}`, input);
      }
      if (end.value > len || end.value < 0) {
        throw new JSONPathError(`array index out of bounds: index ${end.value - 1}, length ${len}`, input);
      }
      if (start.value > end.value) {
        throw new JSONPathError(`starting index ${start.value} is greater than ending index ${end.value}`, input);
      }
      const slice = value.slice(start.value, end.value);
      let by = 1;
      if (step.known) {
        if (step.value <= 0) throw new JSONPathError('step must be > 0', input);
        by = step.value;
      }
      for (let i = 0; i < slice.length; i += by) result.push(slice[i]);
    }
    return result;
  }

  private evalUnion(input: unknown[], lists: ListNode[]): unknown[] {
    const result: unknown[] = [];
    for (const l of lists) {
      try {
        result.push(...this.evalList(input, l));
      } catch (e) {
        if (e instanceof JSONPathError) throw new JSONPathError(e.message, input);
        throw e;
      }
    }
    return result;
  }

  private evalField(input: unknown[], name: string): unknown[] {
    const results: unknown[] = [];
    if (input.length === 0) return results;
    for (const value of input) {
      if (isNil(value)) continue;
      if (isObject(value) && Object.prototype.hasOwnProperty.call(value, name)) results.push(value[name]);
    }
    if (results.length === 0 && !this.missingKeysAllowed) throw new JSONPathError(`${name} is not found`, results);
    return results;
  }

  private evalWildcard(input: unknown[]): unknown[] {
    const results: unknown[] = [];
    for (const value of input) {
      if (isNil(value)) continue;
      results.push(...children(value));
    }
    return results;
  }

  private evalRecursive(input: unknown[]): unknown[] {
    const result: unknown[] = [];
    for (const value of input) {
      if (isNil(value)) continue;
      const kids = children(value);
      if (kids.length !== 0) {
        result.push(value);
        result.push(...this.evalRecursive(kids));
      }
    }
    return result;
  }

  private evalFilter(input: unknown[], node: Extract<Node, { type: 'filter' }>): unknown[] {
    const results: unknown[] = [];
    for (const value of input) {
      if (!Array.isArray(value)) {
        const shown = value === NO_VALUE ? '<invalid reflect.Value>' : goValue(value);
        throw new JSONPathError(`${shown} is not array or slice and cannot be filtered`, input);
      }
      for (const item of value) {
        const temp = [item];
        let lefts: unknown[];
        let leftErr: JSONPathError | undefined;
        try {
          lefts = this.evalList(temp, node.left);
        } catch (e) {
          if (!(e instanceof JSONPathError)) throw e;
          lefts = e.partial;
          leftErr = e;
        }
        if (node.operator === 'exists') {
          if (lefts.length > 0) results.push(item);
          continue;
        }
        if (leftErr) throw new JSONPathError(leftErr.message, input);
        if (lefts.length === 0) continue;
        if (lefts.length > 1) throw new JSONPathError('can only compare one element at a time', input);
        let rights: unknown[];
        try {
          rights = this.evalList(temp, node.right);
        } catch (e) {
          if (e instanceof JSONPathError) throw new JSONPathError(e.message, input);
          throw e;
        }
        if (rights.length === 0) continue;
        if (rights.length > 1) throw new JSONPathError('can only compare one element at a time', input);
        let pass: boolean;
        try {
          pass = compare(node.operator, lefts[0], rights[0]);
        } catch (e) {
          if (e instanceof JSONPathError) throw new JSONPathError(e.message, results);
          throw e;
        }
        if (pass) results.push(item);
      }
    }
    return results;
  }
}

/** fmt.Fprint of a scalar result; `<no value>` for nothing at all, `null` for a JSON null. */
export function textOf(v: unknown): string {
  if (v === NO_VALUE) return '<no value>';
  if (v === null || v === undefined) return 'null';
  if (v instanceof GoFloat) return goFloat(v.value);
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v;
  return goJSON(v);
}

/** Parse `text` as a template named `name` (throws JSONPathSyntaxError). */
export function parseJSONPath(name: string, text: string): JSONPath {
  return new JSONPath(name).parse(text);
}
