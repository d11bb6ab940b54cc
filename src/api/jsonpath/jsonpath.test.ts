import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSONPath, JSONPathError, JSONPathSyntaxError, NO_VALUE, goFloat, goJSON, parseJSONPath } from './index.ts';

const pods = {
  kind: 'List',
  items: [
    {
      metadata: { name: 'web-1', labels: { app: 'web', tier: 'fe' } },
      spec: { replicas: 3, ratio: 0.5, containers: [{ name: 'nginx', image: 'nginx:1' }, { name: 'side', image: 'busybox' }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Scheduled', status: 'False' }] },
    },
    {
      metadata: { name: 'db-1', labels: { app: 'db' } },
      spec: { replicas: 1, containers: [{ name: 'pg', image: 'postgres' }] },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    },
  ],
};

function run(template: string, data: unknown, allowMissing = false): string {
  return new JSONPath('test').allowMissingKeys(allowMissing).parse(template).execute(data);
}

test('fields, indexes, slices and wildcards', () => {
  assert.equal(run('{.items[0].metadata.name}', pods), 'web-1');
  assert.equal(run('{.items[*].metadata.name}', pods), 'web-1 db-1');
  assert.equal(run('{.items[-1].metadata.name}', pods), 'db-1');
  assert.equal(run('{.items[0:1].metadata.name}', pods), 'web-1');
  assert.equal(run('{.items[0].spec.containers[*].image}', pods), 'nginx:1 busybox');
  assert.equal(run("{.items[0].metadata.labels['app']}", pods), 'web');
  assert.equal(run('{.items[0].spec.replicas}', pods), '3');
  assert.equal(run('{.items[0].spec.ratio}', pods), '0.5');
  assert.equal(run('{.kind}{" "}{.items[1].metadata.name}', pods), 'List db-1');
  assert.equal(run('name: {.items[0].metadata.name}', pods), 'name: web-1');
  assert.equal(run('{.items[0,1].metadata.name}', pods), 'web-1 db-1');
  assert.equal(run('{.items[*].metadata.labels.*}', pods), 'web fe db');
});

test('objects and lists print as JSON with sorted keys', () => {
  assert.equal(run('{.items[1].metadata.labels}', pods), '{"app":"db"}');
  assert.equal(run('{.items[0].metadata}', pods), '{"labels":{"app":"web","tier":"fe"},"name":"web-1"}');
  assert.equal(run('{.a}', { a: ['x', 1, { '<': true }] }), '["x",1,{"\\u003c":true}]');
});

test('filters compare like Go templates', () => {
  assert.equal(run('{.items[0].status.conditions[?(@.type=="Ready")].status}', pods), 'True');
  assert.equal(run('{.items[*].status.conditions[?(@.type=="Ready")].status}', pods), 'True False');
  assert.equal(run('{.items[?(@.spec.replicas>1)].metadata.name}', pods), 'web-1');
  assert.equal(run('{.items[?(@.spec.replicas<=1)].metadata.name}', pods), 'db-1');
  assert.equal(run('{.items[?(@.spec.ratio)].metadata.name}', pods), 'web-1');
  assert.equal(run("{.items[?(@.metadata.name!='web-1')].metadata.name}", pods), 'db-1');
  // An int compared with a float literal is an error, as in Go.
  assert.throws(() => run('{.items[?(@.spec.replicas==1.0)].metadata.name}', pods), (e: unknown) =>
    e instanceof JSONPathError && e.message === 'incompatible types for comparison');
  assert.throws(() => run('{.items[?(@.metadata==1)]}', pods), /invalid type for comparison/);
});

test('recursive descent', () => {
  assert.equal(run('{..name}', { metadata: { name: 'a' }, spec: { containers: [{ name: 'b' }] } }), 'a b');
  assert.equal(run('{..image}', pods), 'nginx:1 busybox postgres');
});

test('range and end', () => {
  assert.equal(run('{range .items[*]}{.metadata.name}{"\\t"}{.spec.replicas}{"\\n"}{end}', pods), 'web-1\t3\ndb-1\t1\n');
  assert.equal(run('{range .items[*]}[{.metadata.name}]{end}after', pods), '[web-1][db-1]after');
  assert.equal(run('{range .items[*]}{.x}{end}', { items: [] }, true), '');
  assert.throws(() => run('{end}', pods), /not in range, nothing to end/);
});

test('missing keys: errors unless allowed', () => {
  assert.throws(() => run('{.spec.nope}', { spec: {} }), (e: unknown) => e instanceof JSONPathError && e.message === 'nope is not found');
  assert.equal(run('{.spec.nope}', { spec: {} }, true), '');
  assert.equal(run('{.a.b}', { a: null }, true), '');
});

test('null values, nothing at all, and booleans', () => {
  assert.equal(run('{.a}', { a: null }), 'null');
  assert.equal(run('{.a}', { a: false }), 'false');
  const p = parseJSONPath('x', '{.a}');
  assert.equal(p.printResults([NO_VALUE]), '<no value>');
  assert.equal(run('{@}', null), '<no value>');
});

test('array errors', () => {
  assert.throws(() => run('{.items[5]}', pods), /array index out of bounds: index 5, length 2/);
  assert.throws(() => run('{.kind[0]}', pods), /string is not array or slice/);
  assert.throws(() => run('{.items[0:2:0]}', pods), /step must be > 0/);
  assert.equal(run('{.items[0:0]}', pods), '');
});

test('syntax errors carry client-go texts', () => {
  const err = (t: string) => {
    try {
      new JSONPath('x').parse(t);
    } catch (e) {
      assert.ok(e instanceof JSONPathSyntaxError);
      return (e as Error).message;
    }
    return '';
  };
  assert.equal(err('{.a'), 'unclosed action');
  assert.equal(err('{.a[0}'), 'unterminated array');
  assert.equal(err('{#}'), "unrecognized character in action: U+0023 '#'");
  assert.equal(err('{.a[x]}'), 'invalid array index x');
  assert.equal(err('{..a..b}'), '');
  assert.equal(err('{.a[?(@.b==1)}'), 'unclosed array expect ]');
  assert.equal(err('{"abc}'), 'unterminated quoted string');
  assert.throws(() => run('{foo}', pods), /unrecognized identifier foo/);
});

test('JSON output mode', () => {
  const p = new JSONPath('x').parse('{.items[*].metadata.name}').enableJSONOutput(true);
  assert.equal(p.execute(pods), '[\n    "web-1",\n    "db-1"\n]\n');
});

test('Go number and JSON printing', () => {
  assert.equal(goFloat(1e6), '1e+06');
  assert.equal(goFloat(1234567.5), '1.2345675e+06');
  assert.equal(goFloat(123456.5), '123456.5');
  assert.equal(goFloat(0.0001), '0.0001');
  assert.equal(goFloat(0.00001), '1e-05');
  assert.equal(goFloat(-2.5), '-2.5');
  assert.equal(goJSON({ b: 1, a: 'x&y' }), '{"a":"x\\u0026y","b":1}');
});
