import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLibraryFunction, kubernetesEnvironment, overloadIssue } from './index.ts';

function issue(expr: string): { offset: number; message: string } | undefined {
  const env = kubernetesEnvironment({ unlistedVariablesAreDyn: true });
  const checked = env.parse(expr).check();
  return checked.valid ? undefined : overloadIssue(expr, checked.error);
}

test('a library function with arguments it has no overload for is a compile issue in cel-go words', () => {
  assert.deepEqual(issue('quantity(1)'), { offset: 8, message: "found no matching overload for 'quantity' applied to '(int)'" });
  assert.deepEqual(issue("self.x && isURL(1, 'a')"), { offset: 15, message: "found no matching overload for 'isURL' applied to '(int, string)'" });
  assert.deepEqual(issue("quantity('1').isLessThan(1)"), { offset: 24, message: "found no matching overload for 'isLessThan' applied to 'kubernetes.Quantity.(int)'" });
  assert.deepEqual(issue('sets.contains(1, 2)'), { offset: 13, message: "found no matching overload for 'sets.contains' applied to '(int, int)'" });
});

test('unknown functions and dyn arguments are not compile issues', () => {
  assert.equal(issue('noSuchFunction(1)'), undefined);
  assert.equal(issue('self.noSuch()'), undefined);
  assert.equal(issue('quantity(self.x).isLessThan(quantity("1"))'), undefined);
  assert.equal(isLibraryFunction('quantity'), true);
  assert.equal(isLibraryFunction('indexOf'), true);
  assert.equal(isLibraryFunction('noSuchFunction'), false);
});

test('environments are independent: a policy environment declares its own variables', () => {
  const env = kubernetesEnvironment({ declare: (e) => e.registerVariable('object', 'dyn') });
  assert.equal(env.evaluate("object.name.indexOf('b', 10)", { object: { name: 'abc' } }), -1n);
  assert.equal(env.check('other').valid, false);
});
