import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeYaml } from '../../api/decode/yaml.ts';
import { loadYaml } from '../../api/decode/yaml-lib.ts';
import { ApiError } from '../../api/errors.ts';
import { decodeApplyBody } from './apply-body.ts';

test('a JSON apply body reads as the YAML decoder reads it', async () => {
  await loadYaml();
  const bodies = [
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"yes":"no","n":"1"}}',
    '  {"a": [1, 2.5, -3, 1e3, true, null, "x\\u00e9\\n"], "b": {"c": {}}, "d": []}\n',
    '{"a": 1, "a": 2, "b": 3}',
    '{"__proto__": {"x": 1}, "k": "v"}',
  ];
  for (const b of bodies) assert.deepEqual(await decodeApplyBody(Buffer.from(b)), decodeYaml(b).value, b);
});

test('YAML apply bodies, and bodies that only look like JSON, go through the YAML decoder', async () => {
  assert.deepEqual(await decodeApplyBody(Buffer.from('apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n')), { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } });
  assert.deepEqual(await decodeApplyBody(Buffer.from('{a: b, c: [d]}')), { a: 'b', c: ['d'] });
  await assert.rejects(decodeApplyBody(Buffer.from('{"a": [1, 2}')), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 400);
    assert.match(e.message, /^error decoding YAML: yaml: line 1: /);
    return true;
  });
});
