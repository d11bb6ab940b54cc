// CEL for ValidatingAdmissionPolicies, as upstream's admission CEL plugin
// compiles and runs it (admission/plugin/cel): each expression is compiled
// once against the variables its place declares (object, oldObject, request,
// namespaceObject, authorizer; params only when the policy has a paramKind;
// variables in validations, messageExpressions and variables), and evaluated
// with the texts upstream gives its failures:
//
//   compilation failed: ERROR: <input>:L:C: MESSAGE              (a compile error, kept)
//   compilation error: compilation failed: ...                    (evaluating it)
//   expression 'EXPR' resulted in error: MESSAGE                  (a runtime error)
//   composited variable "NAME" fails to evaluate: MESSAGE         (a variable, read through `variables`)
//
// `variables` is lazy: each variable is evaluated at its first read, once per
// evaluation; a variable sees the ones declared before it.
//
// Expressions run in Kubernetes' CEL environment (src/api/cel, shared with CRD
// rules: strings, lists, sets, regex, URL, quantity, IP, CIDR, format and
// semver libraries) plus the authorizer library (authorizer.ts). Checking is
// partial: an undeclared reference, and a library function called with
// arguments it has no overload for, are compile errors; there is no type
// checking of object fields and no cost limits. An expression calling a
// function no library declares fails when evaluated (its failurePolicy
// decides), where upstream would not compile it.
//
// With patch types (a MutatingAdmissionPolicy's variables and mutations),
// `Object{...}`/`JSONPatch{...}` construction is rewritten before parsing
// (src/api/cel/construction.ts; errors keep their offsets in the text as
// written) and a construction of another type is an undeclared reference.

import type { Environment, ParseResult } from '@marcbachmann/cel-js';
import { ConstructionSyntaxError, isPatchType, rewriteConstructions, type Rewritten } from '../../../api/cel/construction.ts';
import { kubernetesEnvironment, overloadIssue } from '../../../api/cel/index.ts';
import { authorizerType, registerAuthorizer } from './authorizer.ts';

const environments = new Map<string, Environment>();

/** An environment declaring `names` (as dyn): a reference to anything else does not compile. */
function environment(names: readonly string[], patchTypes: boolean): Environment {
  const key = `${names.join(',')}${patchTypes ? ';patch' : ''}`;
  let env = environments.get(key);
  if (!env) {
    env = kubernetesEnvironment({
      patchTypes,
      declare: (e) => {
        registerAuthorizer(e);
        for (const n of names) e.registerVariable(n, n === 'authorizer' ? authorizerType : 'dyn');
      },
    });
    environments.set(key, env);
  }
  return env;
}

/** One compiled expression. */
export interface Expression {
  readonly text: string;
  readonly program: ParseResult | undefined;
  /** The compile error, upstream's way: `compilation failed: ERROR: <input>:1:5: ...`. */
  readonly error: string | undefined;
}

/** `<input>:LINE:COLUMN` of an offset, 1-based as cel-go prints it. */
function location(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  const col = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `<input>:${line}:${col}`;
}

function firstLine(e: unknown): string {
  const err = e as { summary?: string; message?: string };
  return String(err.summary ?? err.message ?? e).split('\n')[0]!;
}

export interface CompileOptions {
  /** Kubernetes' patch types: `Object{...}`, `JSONPatch{...}`, jsonpatch.escapeKey (mutating policies). */
  readonly patchTypes?: boolean;
}

/** Compiles `text` where the variables `declared` exist. */
export function compileExpression(text: string, declared: readonly string[], opts: CompileOptions = {}): Expression {
  const patchTypes = opts.patchTypes === true;
  const env = environment(declared, patchTypes);
  const failed = (offset: number, message: string): Expression =>
    ({ text, program: undefined, error: `compilation failed: ERROR: ${location(text, offset)}: ${message}` });
  let source: Rewritten | undefined;
  if (patchTypes) {
    try {
      source = rewriteConstructions(text);
    } catch (e) {
      if (e instanceof ConstructionSyntaxError) return failed(e.offset, e.message);
      throw e;
    }
    const unknown = source.constructions.find((c) => !isPatchType(c.name));
    if (unknown) return failed(unknown.offset, `undeclared reference to '${unknown.name}' (in container '')`);
  }
  const at = (offset: number | undefined) => (source ? source.toOriginal(offset ?? 0) : offset ?? 0);
  let program: ParseResult;
  try {
    program = env.parse(source ? source.text : text);
  } catch (e) {
    return failed(at((e as { range?: { start: number } }).range?.start), firstLine(e));
  }
  // Only an undeclared reference and a library function's missing overload are errors here.
  const checked = program.check();
  const m = checked.valid ? null : /^Unknown variable: (.*)$/.exec(firstLine(checked.error));
  if (m) return failed(at(checked.error?.range?.start), `undeclared reference to '${m[1]}' (in container '')`);
  const issue = checked.valid ? undefined : overloadIssue(source ? source.text : text, checked.error);
  if (issue) return failed(at(issue.offset), issue.message);
  return { text, program, error: undefined };
}

/** A failure whose text is already upstream's (a variable's, read through `variables`). */
class CompositionError extends Error {}

/** The library's text of a runtime error in cel-go's words where they differ. */
function runtimeText(e: unknown): string {
  if (e instanceof CompositionError) return e.message;
  const text = firstLine(e);
  const key = /^No such key: (?!index out of bounds)(.*)$/.exec(text);
  if (key) return `no such key: ${key[1]}`;
  return text;
}

/** An evaluation failed: `message` is upstream's text for it. */
export class EvaluationFailure extends Error {}

/** Evaluates a compiled expression; throws EvaluationFailure with upstream's text. */
export function evaluate(e: Expression, ctx: Record<string, unknown>): unknown {
  if (!e.program) throw new EvaluationFailure(`compilation error: ${e.error ?? 'compilation failed'}`);
  try {
    return e.program(ctx);
  } catch (err) {
    throw new EvaluationFailure(`expression '${e.text}' resulted in error: ${runtimeText(err)}`);
  }
}

export interface Variable {
  readonly name: string;
  readonly expression: Expression;
}

/**
 * The `variables` of one evaluation: each read on first use and kept; a
 * failure is thrown at each read (the expression reading it fails with it).
 * `base` is the activation without `variables`.
 */
export function lazyVariables(vars: readonly Variable[], base: Record<string, unknown>): Record<string, unknown> {
  const results = new Map<string, { value: unknown } | { error: string }>();
  // What variable i sees: the variables before it.
  const views: Record<string, unknown>[] = [];
  const view = (upTo: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < upTo; i++) {
      const v = vars[i]!;
      Object.defineProperty(out, v.name, { enumerable: true, get: () => read(i) });
    }
    return out;
  };
  const read = (i: number): unknown => {
    const v = vars[i]!;
    let r = results.get(v.name);
    if (!r) {
      if (!v.expression.program) {
        r = { error: `composited variable ${JSON.stringify(v.name)} fails to compile: ${v.expression.error ?? ''}` };
      } else {
        // Set first: a variable reading itself fails instead of recursing.
        results.set(v.name, { error: `composited variable ${JSON.stringify(v.name)} fails to evaluate: no such key: ${v.name}` });
        views[i] ??= view(i);
        try {
          r = { value: v.expression.program({ ...base, variables: views[i] }) };
        } catch (e) {
          r = { error: `composited variable ${JSON.stringify(v.name)} fails to evaluate: ${runtimeText(e)}` };
        }
      }
      results.set(v.name, r);
    }
    if ('error' in r) throw new CompositionError(r.error);
    return r.value;
  };
  return view(vars.length);
}
