// A webhook's matchConditions: CEL expressions over `object`, `oldObject` and
// `request` (the AdmissionReview's request), all of which must be true for
// the webhook to be called (upstream's matchconditions.Matcher): one false
// skips it; an expression that fails (does not compile, errors, is not a
// bool) skips it under failurePolicy Ignore and refuses the write (403)
// under Fail. Expressions run in Kubernetes' CEL environment (src/api/cel,
// shared with CRD rules and policies), without `authorizer`: an expression
// needing it fails as described.

import type { Environment, ParseResult } from '@marcbachmann/cel-js';
import { kubernetesEnvironment } from '../../../api/cel/index.ts';
import { isGoInt } from '../../../api/jsonpath/values.ts';
import type { MatchCondition } from './config.ts';

let environment: Environment | undefined;

function env(): Environment {
  environment ??= kubernetesEnvironment({ unlistedVariablesAreDyn: true });
  return environment;
}

const compiled = new Map<string, ParseResult | Error>();

function compile(expression: string): ParseResult | Error {
  let c = compiled.get(expression);
  if (!c) {
    try {
      c = env().parse(expression);
    } catch (e) {
      c = new Error(`compilation failed: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
    }
    if (compiled.size > 1000) compiled.clear();
    compiled.set(expression, c);
  }
  return c;
}

/** JSON as CEL values: whole numbers are ints. */
export function toCel(v: unknown, depth = 0): unknown {
  if (depth > 256) return v;
  if (typeof v === 'number') return isGoInt(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map((x) => toCel(x, depth + 1));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x, depth + 1);
    return out;
  }
  return v;
}

export type MatchResult = { matches: true } | { matches: false } | { error: string };

/** Evaluates the conditions; `error` only when none is false and some failed. */
export function evaluateMatchConditions(conditions: readonly MatchCondition[], vars: { object: unknown; oldObject: unknown; request: unknown }): MatchResult {
  if (conditions.length === 0) return { matches: true };
  const ctx = { object: toCel(vars.object ?? null), oldObject: toCel(vars.oldObject ?? null), request: toCel(vars.request), params: null };
  const failures: string[] = [];
  for (const c of conditions) {
    const program = compile(c.expression);
    if (program instanceof Error) { failures.push(program.message); continue; }
    let result: unknown;
    try {
      result = program(ctx);
    } catch (e) {
      failures.push(`expression '${c.expression}' resulted in error: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
      continue;
    }
    if (result === false) return { matches: false };
    if (result !== true) failures.push(`expression '${c.expression}' resulted in error: no such overload`);
  }
  if (failures.length === 0) return { matches: true };
  return { error: failures.length === 1 ? failures[0]! : `[${failures.join(', ')}]` };
}
