import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../types.ts';
import { applyJsonPatch, decodeJsonPatch, decodePointerToken, encodePointerToken } from './json-patch.ts';
import { PatchError } from './patch-error.ts';

const pod = (): JsonValue => ({
  metadata: { name: 'web', labels: { app: 'web', 'a/b': 'x', 'm~n': 'y' } },
  spec: { containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'redis' }] },
});

function failure(doc: JsonValue, patch: JsonValue): PatchError {
  try {
    applyJsonPatch(doc, patch);
  } catch (e) {
    assert.ok(e instanceof PatchError, String(e));
    return e;
  }
  assert.fail('expected the patch to fail');
}

test('add, remove, replace, move, copy, test', () => {
  const doc = pod();
  const out = applyJsonPatch(doc, [
    { op: 'test', path: '/metadata/name', value: 'web' },
    { op: 'add', path: '/metadata/labels/tier', value: 'front' },
    { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.27' },
    { op: 'add', path: '/spec/containers/-', value: { name: 'c', image: 'busybox' } },
    { op: 'add', path: '/spec/containers/0', value: { name: 'first' } },
    { op: 'remove', path: '/metadata/labels/a~1b' },
    { op: 'move', from: '/metadata/labels/m~0n', path: '/metadata/labels/moved' },
    { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
    { op: 'remove', path: '/spec/containers/2' },
  ]);
  assert.deepEqual(out, {
    metadata: { name: 'web', labels: { app: 'web', tier: 'front', moved: 'y', name: 'web' } },
    spec: { containers: [{ name: 'first' }, { name: 'a', image: 'nginx:1.27' }, { name: 'c', image: 'busybox' }] },
  });
  assert.deepEqual(doc, pod(), 'input untouched');
});

test('upstream quirks', () => {
  // replace of a missing member adds it
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }]), { a: 1, b: 2 });
  // negative indices count from the end
  assert.deepEqual(applyJsonPatch({ l: [1, 2, 3] }, [{ op: 'remove', path: '/l/-1' }]), { l: [1, 2] });
  assert.deepEqual(applyJsonPatch({ l: [1, 2] }, [{ op: 'add', path: '/l/-1', value: 9 }]), { l: [1, 2, 9] });
  // missing value is null
  assert.deepEqual(applyJsonPatch({}, [{ op: 'add', path: '/a' }]), { a: null });
  // copy from a missing member copies null
  assert.deepEqual(applyJsonPatch({}, [{ op: 'copy', from: '/x', path: '/y' }]), { y: null });
  // whole-document replace
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 });
  // test of a missing or null member against null passes
  assert.deepEqual(applyJsonPatch({ n: null }, [{ op: 'test', path: '/n', value: null }, { op: 'test', path: '/m', value: null }]), { n: null });
  // objects compare regardless of key order
  applyJsonPatch({ o: { a: 1, b: [1, { c: 2 }] } }, [{ op: 'test', path: '/o', value: { b: [1, { c: 2 }], a: 1 } }]);
  // null patch: nothing to do
  assert.deepEqual(applyJsonPatch({ a: 1 }, null), { a: 1 });
  // __proto__ is an ordinary member
  const out = applyJsonPatch({}, JSON.parse('[{"op":"add","path":"/__proto__","value":{"x":1}}]')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(out), ['__proto__']);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
});

test('failures are 422 with a generic message and the library detail', () => {
  const cases: Array<[JsonValue, JsonValue, string]> = [
    [{}, [{ op: 'add', path: '/a/b', value: 1 }], 'add operation does not apply: doc is missing path: "/a/b": missing value'],
    [{}, [{ op: 'add', value: 1 }], 'add operation failed to decode path: missing value'],
    [{}, [{ op: 'remove', path: '/a' }], 'error in remove for path: \'/a\': Unable to remove nonexistent key: a: missing value'],
    [{ l: [] }, [{ op: 'remove', path: '/l/0' }], "error in remove for path: '/l/0': Unable to access invalid index: 0: invalid index referenced"],
    [{ l: [] }, [{ op: 'add', path: '/l/2', value: 1 }], "error in add for path: '/l/2': Unable to access invalid index: 2: invalid index referenced"],
    [{ l: [] }, [{ op: 'add', path: '/l/x', value: 1 }],
      'error in add for path: \'/l/x\': value was not a proper array index: \'x\': strconv.Atoi: parsing "x": invalid syntax'],
    [{ l: [1] }, [{ op: 'replace', path: '/l/5', value: 1 }], 'replace operation does not apply: doc is missing key: /l/5: missing value'],
    [{}, [{ op: 'replace', path: '/a/b', value: 1 }], 'replace operation does not apply: doc is missing path: /a/b: missing value'],
    [{}, [{ op: 'replace', path: '', value: 1 }], 'replace operation value must be object or array: %!w(<nil>)'],
    [{ a: 1 }, [{ op: 'test', path: '/a', value: 2 }], 'testing value /a failed: test failed'],
    [{ a: 1 }, [{ op: 'test', path: '/b', value: 2 }], 'testing value /b failed: test failed'],
    [{ a: 1 }, [{ op: 'test', path: '/a' }], 'testing value /a failed: test failed'],
    [{ a: 1 }, [{ op: 'test', path: '/x/y', value: 1 }], 'test operation does not apply: is missing path: /x/y: missing value'],
    [{}, [{ op: 'move', path: '/b' }], 'move operation failed to decode from: operation, missing from field: missing value'],
    [{}, [{ op: 'move', from: '/a', path: '/b' }], "error in move for path: 'a': Unable to remove nonexistent key: a: missing value"],
    [{ a: 1 }, [{ op: 'move', from: '/a', path: '/x/y' }], 'move operation does not apply: doc is missing destination path: /x/y: missing value'],
    [{ a: 1 }, [{ op: 'copy', from: '/a', path: '/x/y' }], 'copy operation does not apply: doc is missing destination path: /x/y: missing value'],
    [{}, [{ op: 'frobnicate', path: '/a' }], 'Unexpected kind: frobnicate'],
    [{}, [{ path: '/a' }], 'Unexpected kind: unknown'],
    [{}, [null], 'Unexpected kind: unknown'],
    [{ s: 'str' }, [{ op: 'add', path: '/s/x', value: 1 }], 'add operation does not apply: doc is missing path: "/s/x": missing value'],
    [{}, [{ op: 'add', path: '', value: 1 }], 'add operation does not apply: doc is missing path: "": missing value'],
    [{}, [{ op: 'replace', path: 5, value: 1 }], 'replace operation failed to decode path: json: cannot unmarshal number into Go value of type string'],
  ];
  for (const [doc, patch, detail] of cases) {
    const e = failure(doc, patch);
    assert.equal(e.code, 422, detail);
    assert.equal(e.reason, 'Invalid');
    assert.equal(e.message, 'the server rejected our request due to an error in our request');
    assert.equal(e.detail, detail);
    assert.deepEqual(e.toStatus().details, {});
  }
});

test('malformed patch documents are 400, oversized ones 413', () => {
  const bad: Array<[JsonValue, string]> = [
    [{ op: 'add' }, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
    ['x', 'json: cannot unmarshal string into Go value of type jsonpatch.Patch'],
    [[1], 'json: cannot unmarshal number into Go value of type jsonpatch.Operation'],
    [[[]], 'json: cannot unmarshal array into Go value of type jsonpatch.Operation'],
    [[true], 'json: cannot unmarshal bool into Go value of type jsonpatch.Operation'],
  ];
  for (const [patch, msg] of bad) {
    assert.throws(() => decodeJsonPatch(patch), (e: unknown) => e instanceof PatchError && e.code === 400 && e.message === msg);
  }
  const many = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/a', value: 1 }));
  assert.throws(() => applyJsonPatch({ a: 1 }, many), (e: unknown) => e instanceof PatchError && e.code === 413 &&
    e.message === 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001');
});

test('pointer tokens', () => {
  assert.equal(decodePointerToken('a~1b~0c~01'), 'a/b~c~1');
  assert.equal(encodePointerToken('a/b~c'), 'a~1b~0c');
  assert.equal(decodePointerToken('~2'), '~2');
});
