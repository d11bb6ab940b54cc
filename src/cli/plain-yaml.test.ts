import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { toPlainYaml } from './plain-yaml.ts';

test('plain YAML parses back to the same data', () => {
  const data = {
    apiVersion: 'v1', kind: 'Config', 'current-context': 'kv',
    clusters: [{ name: 'kv', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'QUJD' } }],
    users: [{ name: 'kv', user: { token: 'a"b\\c: #d' } }, { name: 'x', user: {} }],
    preferences: {}, list: [], nested: [[1, 2], []], flags: { on: true, off: false, none: null, n: 3 },
    'odd key': 'yes', empty: '',
  };
  const text = toPlainYaml(data);
  assert.deepEqual(parse(text), data);
  assert.match(text, /^clusters:\n- name: "kv"\n {2}cluster:\n {4}server: "https:\/\/127.0.0.1:6443"$/m);
});
