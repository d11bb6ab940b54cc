import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withResourceVersion } from './watch.ts';

test('withResourceVersion: put first in metadata of text laid out as stored', () => {
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { x: '1' } }, data: { k: 'v' } };
  const text = withResourceVersion(JSON.stringify(obj), '42');
  assert.deepEqual(JSON.parse(text!), { ...obj, metadata: { ...obj.metadata, resourceVersion: '42' } });
  assert.equal(JSON.parse(withResourceVersion('{"kind":"X","metadata":{}}', '7')!).metadata.resourceVersion, '7', 'empty metadata');
  assert.equal(JSON.parse(withResourceVersion('{"metadata":{"name":"n"},"kind":"X"}', '8')!).metadata.resourceVersion, '8', 'metadata first');
});

test('withResourceVersion: anything else is left to the encoder', () => {
  assert.equal(withResourceVersion('{"spec":{"metadata":{}},"metadata":{"name":"n"}}', '1'), undefined, 'metadata not among the first keys');
  assert.equal(withResourceVersion('{"kind":"Event","metadata":{"name":"e"},"involvedObject":{"resourceVersion":"3"}}', '1'), undefined, 'a resourceVersion of its own');
  assert.equal(withResourceVersion('{"apiVersion":"v\\"1","metadata":{}}', '1'), undefined, 'escapes before metadata');
  assert.equal(withResourceVersion('{"kind":"X","metadata":{}}', undefined), undefined);
});
