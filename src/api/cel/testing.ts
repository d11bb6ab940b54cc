// Test helpers: evaluate expressions in the shared environment and compare
// results (CEL ints are bigints) or upstream's error texts.

import assert from 'node:assert/strict';
import type { Environment } from '@marcbachmann/cel-js';
import { kubernetesEnvironment } from './index.ts';

let env: Environment | undefined;

export function evaluate(expr: string, ctx: Record<string, unknown> = {}): unknown {
  env ??= kubernetesEnvironment({ unlistedVariablesAreDyn: true });
  return env.evaluate(expr, ctx);
}

/** Each [expression, expected value] pair evaluates to its value. */
export function expectValues(cases: ReadonlyArray<readonly [string, unknown]>, ctx: Record<string, unknown> = {}): void {
  for (const [expr, want] of cases) assert.deepEqual(evaluate(expr, ctx), want, expr);
}

/** Each [expression, error text] pair fails with that text (a string: exactly; a RegExp: matching). */
export function expectErrors(cases: ReadonlyArray<readonly [string, string | RegExp]>, ctx: Record<string, unknown> = {}): void {
  for (const [expr, want] of cases) {
    assert.throws(() => evaluate(expr, ctx), (e: Error) => {
      const msg = e.message.split('\n')[0]!;
      if (typeof want === 'string') assert.equal(msg, want, expr);
      else assert.match(msg, want, expr);
      return true;
    }, expr);
  }
}
