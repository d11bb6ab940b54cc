// matchConditions run in Kubernetes' CEL environment: its libraries, and
// `request` read as a typed object (celRequest).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateMatchConditions } from './match-conditions.ts';
import { celRequest } from './review.ts';

const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Big-Config', namespace: 'ns' }, data: { size: '1536Mi' } };
const request = celRequest({ uid: 'u', operation: 'CREATE', name: 'Big-Config', namespace: 'ns', userInfo: { username: 'alice' } });

test('Kubernetes CEL libraries: strings, quantity and regex in a condition', () => {
  const cond = (expression: string) => [{ name: 'c', expression }];
  const vars = { object: cm, oldObject: null, request };
  assert.deepEqual(evaluateMatchConditions(cond("object.metadata.name.lowerAscii() == 'big-config'"), vars), { matches: true });
  assert.deepEqual(evaluateMatchConditions(cond("quantity(object.data.size).isGreaterThan(quantity('1Gi'))"), vars), { matches: true });
  assert.deepEqual(evaluateMatchConditions(cond("quantity(object.data.size).isLessThan(quantity('1Gi'))"), vars), { matches: false });
  assert.deepEqual(evaluateMatchConditions(cond("object.metadata.name.find('[0-9]+') == ''"), vars), { matches: true });
});

test('request: unset strings and lists read as empty, as upstream\'s typed request', () => {
  const vars = { object: cm, oldObject: null, request };
  assert.deepEqual(evaluateMatchConditions([{ name: 'c', expression: "request.subResource == '' && request.userInfo.groups.size() == 0 && request.userInfo.username == 'alice'" }], vars), { matches: true });
});
