// Every fully populated upstream fixture must decode without strict problems, and
// its YAML form must decode to the same value as its JSON form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { schemaForKind } from '../schema/index.ts';
import { schemaTracker, unknownFields } from '../schema/strict.ts';
import { decodeJson } from './json.ts';
import { decodeYaml } from './yaml.ts';
import { before } from 'node:test';
import { loadYaml } from './yaml-lib.ts';

// The decoders use the yaml library, which the server loads on first use.
before(() => loadYaml());

const dir = new URL('../../../../shared/k8s-api/fixtures/', import.meta.url);

test('upstream fixtures decode cleanly', { skip: !existsSync(dir) && 'fixtures not present' }, () => {
  // *.after_roundtrip.* files hold older data re-encoded by current code; they are not canonical objects.
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.includes('after_roundtrip'));
  assert.ok(files.length > 150);
  let checked = 0;
  for (const f of files) {
    const text = readFileSync(new URL(f, dir), 'utf8');
    const plain = JSON.parse(text);
    const [group, version] = String(plain.apiVersion).includes('/') ? String(plain.apiVersion).split('/') : ['', String(plain.apiVersion)];
    const schema = schemaForKind(group!, version!, String(plain.kind));
    const decoded = decodeJson(text, schema ? { tracker: schemaTracker(), root: schema } : {});
    assert.deepEqual(decoded.value, plain, f);
    assert.deepEqual(decoded.strictErrors, [], f);
    if (schema) {
      assert.deepEqual(unknownFields(schema, plain), [], f);
      checked++;
    }
    const yamlFile = new URL(f.replace(/\.json$/, '.yaml'), dir);
    if (existsSync(yamlFile)) {
      const y = decodeYaml(readFileSync(yamlFile));
      assert.deepEqual(y.duplicates, [], f);
      assert.deepEqual(y.value, plain, `${f} (yaml)`);
    }
  }
  // Older versions and option kinds are not served by 1.36, so they have no schema.
  assert.ok(checked >= 100, `only ${checked} fixtures had schemas`);
});
