import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { creationTimestampDescription, nameColumnDescription, printerColumnsFor, tableForColumns, tableForCRDVersion } from './index.ts';
import { cronTabCRD } from './testing.ts';

const NOW = new Date('2024-05-01T12:00:00Z');

function obj(extra: Record<string, unknown>, created = '2024-05-01T11:00:00Z'): KubeObject {
  return { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'one', creationTimestamp: created }, ...extra } as KubeObject;
}

test('without printer columns: Name and an Age date column with the age', () => {
  const t = tableForCRDVersion(cronTabCRD(), 'v1');
  assert.deepEqual(t.columns, [
    { name: 'Name', type: 'string', format: 'name', description: nameColumnDescription, priority: 0 },
    { name: 'Age', type: 'date', format: '', description: creationTimestampDescription, priority: 0 },
  ]);
  assert.deepEqual(t.cells(obj({}), NOW), ['one', '60m']);
  assert.deepEqual(t.cells({ metadata: { name: 'x' } } as KubeObject, NOW), ['x', null]);
});

test('additionalPrinterColumns: typed cells as upstream formats them', () => {
  const crd = cronTabCRD();
  (crd.spec as any).versions[0].additionalPrinterColumns = [
    { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec', description: 'the schedule' },
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', format: 'int32' },
    { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio', priority: 1 },
    { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
    { name: 'Last', type: 'date', jsonPath: '.status.last' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Labels', type: 'string', jsonPath: '.metadata.labels' },
  ];
  const t = tableForCRDVersion(crd, 'v1');
  assert.deepEqual(t.columns.slice(1).map((c) => [c.name, c.type, c.format, c.description, c.priority]), [
    ['Spec', 'string', '', 'the schedule', 0],
    ['Replicas', 'integer', 'int32', 'Custom resource definition column (in JSONPath format): .spec.replicas', 0],
    ['Ratio', 'number', '', 'Custom resource definition column (in JSONPath format): .spec.ratio', 1],
    ['Paused', 'boolean', '', 'Custom resource definition column (in JSONPath format): .spec.paused', 0],
    ['Last', 'date', '', 'Custom resource definition column (in JSONPath format): .status.last', 0],
    ['Ready', 'string', '', 'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].status', 0],
    ['Labels', 'string', '', 'Custom resource definition column (in JSONPath format): .metadata.labels', 0],
  ]);
  const full = obj({
    spec: { cronSpec: '*/5 * * * *', replicas: 2.7, ratio: 3, paused: false },
    status: { last: '2024-04-29T12:00:00Z', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  full.metadata.labels = { b: '2', a: '1' };
  assert.deepEqual(t.cells(full, NOW), ['one', '*/5 * * * *', 2, 3, false, '2d', 'True', '{"a":"1","b":"2"}']);
  // Missing values are null; a wrong type is null; a bad date is <invalid>; JSON null in a string column is <no value>.
  assert.deepEqual(t.cells(obj({ spec: { replicas: 'x', cronSpec: null }, status: { last: 'yesterday' } }), NOW), ['one', '<no value>', null, null, null, '<invalid>', null, null]);
  assert.deepEqual(t.cells(obj({ spec: { cronSpec: 5 } }), NOW).slice(0, 2), ['one', '5']);
});

test('a column whose JSONPath does not parse ends the columns there', () => {
  const t = tableForColumns([
    { name: 'A', type: 'string', jsonPath: '.a' },
    { name: 'B', type: 'string', jsonPath: '.b[' },
    { name: 'C', type: 'string', jsonPath: '.c' },
  ]);
  assert.deepEqual(t.columns.map((c) => c.name), ['Name', 'A']);
});

test('printer columns are per version', () => {
  const crd = cronTabCRD();
  (crd.spec as any).versions.push({ name: 'v2', served: true, storage: false, additionalPrinterColumns: [{ name: 'X', type: 'string', jsonPath: '.x' }] });
  assert.deepEqual(printerColumnsFor(crd, 'v1').map((c) => c.name), ['Age']);
  assert.deepEqual(printerColumnsFor(crd, 'v2').map((c) => c.name), ['X']);
});
