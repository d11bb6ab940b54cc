// CEL for admission policies: declared variables, compile and runtime error
// texts in upstream's words, lazy composited variables.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, evaluate, EvaluationFailure, lazyVariables, type Variable } from './cel.ts';

const vars = ['object', 'oldObject', 'request', 'namespaceObject', 'variables'];

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof EvaluationFailure, String(e));
    return e.message;
  }
  return assert.fail('no failure');
}

test('an expression over the declared variables evaluates; ints are ints', () => {
  const e = compileExpression('object.spec.replicas <= 5 && request.operation == "CREATE"', vars);
  assert.equal(e.error, undefined);
  assert.equal(evaluate(e, { object: { spec: { replicas: 3n } }, request: { operation: 'CREATE' } }), true);
  assert.equal(evaluate(compileExpression('[1, 2].all(x, x > 0)', vars), {}), true, 'comprehension variables are not undeclared references');
});

test('compile errors: syntax, and references to what the place does not declare', () => {
  assert.equal(compileExpression('object.spec.replicas >', vars).error, 'compilation failed: ERROR: <input>:1:23: Unexpected token: EOF');
  assert.equal(compileExpression('params.max > 1', vars).error, "compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')");
  assert.equal(compileExpression('object.a ||\n  authorizer', vars).error, "compilation failed: ERROR: <input>:2:3: undeclared reference to 'authorizer' (in container '')");
  // Evaluating one that did not compile.
  assert.equal(failure(() => evaluate(compileExpression('params.max', vars), {})),
    "compilation error: compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')");
});

test('runtime errors: expression \'EXPR\' resulted in error: ... (cel-go\'s words for a missing key)', () => {
  const e = compileExpression('object.spec.missing > 1', vars);
  assert.equal(failure(() => evaluate(e, { object: { spec: {} } })), "expression 'object.spec.missing > 1' resulted in error: no such key: missing");
  assert.equal(failure(() => evaluate(compileExpression('1 / object.zero', vars), { object: { zero: 0n } })),
    "expression '1 / object.zero' resulted in error: division by zero");
  // An error absorbed by || is no error, as in cel-go.
  assert.equal(evaluate(compileExpression('object.spec.missing > 1 || true', vars), { object: { spec: {} } }), true);
});

test('variables: lazy, evaluated once, each seeing the ones before it; failures carried to the reader', () => {
  let reads = 0;
  const base = { object: { spec: { replicas: 4n } } };
  const defs: Variable[] = [
    { name: 'r', expression: compileExpression('object.spec.replicas', vars) },
    { name: 'double', expression: compileExpression('variables.r * 2', vars) },
    { name: 'broken', expression: compileExpression('object.spec.missing', vars) },
    { name: 'bad', expression: compileExpression('object.(', vars) },
    { name: 'early', expression: compileExpression('variables.later', vars) },
    { name: 'later', expression: compileExpression('1', vars) },
  ];
  const v = lazyVariables(defs, new Proxy(base, { get: (t, k) => { if (k === 'object') reads++; return (t as Record<string | symbol, unknown>)[k]; } }));
  const ctx = { ...base, variables: v };
  assert.equal(evaluate(compileExpression('variables.double + variables.r', vars), ctx), 12n);
  assert.equal(evaluate(compileExpression('variables.double', vars), ctx), 8n);
  assert.ok(reads <= 2, 'each variable is evaluated once');
  assert.equal(failure(() => evaluate(compileExpression('variables.broken == 1', vars), ctx)),
    "expression 'variables.broken == 1' resulted in error: composited variable \"broken\" fails to evaluate: no such key: missing");
  assert.match(failure(() => evaluate(compileExpression('variables.bad', vars), ctx)),
    /^expression 'variables\.bad' resulted in error: composited variable "bad" fails to compile: compilation failed: ERROR: <input>:1:8: /);
  assert.equal(failure(() => evaluate(compileExpression('variables.early', vars), ctx)),
    "expression 'variables.early' resulted in error: composited variable \"early\" fails to evaluate: no such key: later");
  // A failing variable nobody reads costs nothing.
  assert.equal(evaluate(compileExpression('variables.later == 1', vars), ctx), true);
});

test("Kubernetes' CEL libraries: quantity, strings and their errors", () => {
  const q = compileExpression("quantity(object.spec.memory).isLessThan(quantity('1Gi')) && object.metadata.name.lowerAscii().replace('-', '.') == 'a.b'", vars);
  assert.equal(q.error, undefined);
  assert.equal(evaluate(q, { object: { spec: { memory: '512Mi' }, metadata: { name: 'A-b' } } }), true);
  assert.equal(failure(() => evaluate(q, { object: { spec: { memory: '1X' }, metadata: { name: 'A-b' } } })),
    `expression '${q.text}' resulted in error: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  assert.equal(compileExpression('quantity(1) == 1', vars).error, "compilation failed: ERROR: <input>:1:9: found no matching overload for 'quantity' applied to '(int)'");
});
