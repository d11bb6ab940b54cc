import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../errors.ts';
import { selectorMatches, validateLabelSelector } from './labelselector.ts';

test('selector requirements', () => {
  const errs = validateLabelSelector({ matchExpressions: [
    { key: 'a', operator: 'In' },
    { key: 'b', operator: 'Exists', values: ['x'] },
    { key: 'c', operator: 'Maybe' },
  ] }, 'spec.selector');
  assert.deepEqual(errs.map(formatFieldError), [
    "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    'spec.selector.matchExpressions[2].operator: Invalid value: "Maybe": not a valid selector operator',
  ]);
});

test('matching', () => {
  assert.equal(selectorMatches({ matchLabels: { app: 'web' } }, { app: 'web', tier: 'x' }), true);
  assert.equal(selectorMatches({ matchLabels: { app: 'web' } }, { app: 'db' }), false);
  assert.equal(selectorMatches({}, {}), true);
  assert.equal(selectorMatches(undefined, { a: 'b' }), false);
  assert.equal(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, { env: 'dev' }), true);
  assert.equal(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, { env: 'dev' }), false);
});
