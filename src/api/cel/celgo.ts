// Where @marcbachmann/cel-js's core language differs from cel-go's in ways
// real rules (Gateway API's CRDs among them) run into, cel-go's behaviour:
//
//  - has() of a field of any expression: `has(self.matches[0].path)`,
//    `has(self.items.filter(...)[0].x)` (cel-js accepts only identifier
//    chains: "has() invalid argument");
//  - optionals compare by equality: `optional == null` is false (cel-go's
//    legacy nullable types; cel-js has no overload), two optionals are equal
//    when both are empty or their values are;
//  - `a || b` and `a && b` that fail on both sides report the left side's
//    error, as cel-go's interpreter returns the first error of its terms
//    (cel-js: the right side's).
//
// The first two are declared on each environment; the third patches the CEL
// library's operator table once, when it is loaded. Each leaves the library as
// it is when its internals are not the expected ones.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Environment } from '@marcbachmann/cel-js';
import { celEqual } from './values.ts';

interface AstNode {
  op: string;
  args: unknown;
}

interface Checker {
  check(node: AstNode, ctx: unknown): unknown;
  getType(name: string): unknown;
  createError(code: string, message: string, node: AstNode): Error;
}

interface Macro {
  args: AstNode[];
  macroHasProps?: AstNode[];
  typeCheck(checker: Checker, macro: Macro, ctx: unknown): unknown;
}

interface MacroDeclaration { handler: (opts: unknown) => Macro }
interface Registry { functionCandidates(rec: boolean, name: string, argLen: number): { macro: MacroDeclaration | false } }

/**
 * has()'s type check with any expression under the selected fields: the
 * library's evaluation already runs the innermost node as an expression and
 * tests the fields above it.
 */
function typeCheckHas(checker: Checker, macro: Macro, ctx: unknown): unknown {
  let node = macro.args[0]!;
  if (node.op !== '.' && node.op !== '.?') throw checker.createError('invalid_macro_argument', 'has() invalid argument', node);
  if (!macro.macroHasProps) {
    const props: AstNode[] = [];
    while (node.op === '.' || node.op === '.?') {
      props.push(node);
      node = (node.args as AstNode[])[0]!;
    }
    checker.check(node, ctx);
    props.push(node);
    macro.macroHasProps = props;
  }
  return checker.getType('bool');
}

/** Makes has() accept any expression under its field selections. */
export function generalizeHas(reg: unknown): void {
  const registry = reg as Registry | undefined;
  const cands = typeof registry?.functionCandidates === 'function' ? registry.functionCandidates(false, 'has', 1) : undefined;
  const decl = cands?.macro;
  if (!cands || !decl || typeof decl.handler !== 'function') return;
  const original = decl.handler;
  const handler = (opts: unknown): Macro => {
    const macro = original(opts);
    return typeof macro?.typeCheck === 'function' ? { ...macro, typeCheck: typeCheckHas } : macro;
  };
  cands.macro = Object.assign(Object.create(Object.getPrototypeOf(decl) as object) as MacroDeclaration, decl, { handler });
}

interface OptionalValue { hasValue(): boolean; value(): unknown }

/** Declares cel-go's equality of optionals (with null: never equal; with optionals: by their values). */
export function declareOptionalEquality(env: Environment): void {
  try {
    env.registerOperator('optional<dyn> == null', () => false);
    env.registerOperator('optional<dyn> == optional<dyn>', (a: OptionalValue, b: OptionalValue) =>
      a.hasValue() === b.hasValue() && (!a.hasValue() || celEqual(a.value(), b.value())));
  } catch {
    // A library that has these already.
  }
}

interface Evaluator { tryEval(node: AstNode, ctx: unknown): unknown }
type Evaluate = (this: unknown, ev: Evaluator, ast: AstNode & { left: AstNode; right: AstNode }, ctx: unknown) => unknown;
interface OperatorTable { [op: string]: { evaluate: Evaluate } | undefined }

/**
 * `||` (shortCircuit true) or `&&` (false) whose two failing operands give the
 * left one's error; anything else (non-boolean operands, asynchronous
 * evaluation) as the library does it.
 */
function logical(shortCircuit: boolean, original: Evaluate): Evaluate {
  return function (this: unknown, ev, ast, ctx) {
    const l = ev.tryEval(ast.left, ctx);
    if (l === shortCircuit) return shortCircuit;
    if (!(l instanceof Error)) return original.call(this, ev, ast, ctx);
    const r = ev.tryEval(ast.right, ctx);
    if (r === shortCircuit) return shortCircuit;
    if (r instanceof Promise) return original.call(this, ev, ast, ctx);
    throw l;
  };
}

let patched = false;

/** Patches the CEL library's `||` and `&&` (once; before anything is parsed). */
export function patchLogicalOperators(): void {
  if (patched) return;
  patched = true;
  try {
    const require = createRequire(import.meta.url);
    const ops = (require(join(dirname(require.resolve('@marcbachmann/cel-js')), 'operators.js')) as { OPERATORS?: OperatorTable }).OPERATORS;
    const or = ops?.['||'], and = ops?.['&&'];
    if (!or || !and || typeof or.evaluate !== 'function' || typeof and.evaluate !== 'function') return;
    or.evaluate = logical(true, or.evaluate);
    and.evaluate = logical(false, and.evaluate);
  } catch {
    // Another layout of the library: its own behaviour stays.
  }
}
