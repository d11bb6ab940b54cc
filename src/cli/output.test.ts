import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, byteSize, describeTime, describeTimeAndAge, DESCRIBE, forOutput, humanDuration, listOf, table, tabwrite, toJson, toYaml } from './output.ts';

test('tables are aligned as kubectl get aligns them (min width 6, padding 3)', () => {
  assert.equal(
    table([['NAME', 'STATUS', 'AGE'], ['a', 'Running', '5s'], ['longer-name', 'Paused', '3m20s']]),
    'NAME          STATUS    AGE\n' +
    'a             Running   5s\n' +
    'longer-name   Paused    3m20s\n',
  );
});

test('tabwriter blocks: a line without the column ends its block, as in kubectl describe', () => {
  const text = 'Name:\tdev\nA Long Key:\tv\nLimits:\n  Max Objects:\t10\nX:\ty\n';
  assert.equal(tabwrite(text, DESCRIBE), 'Name:        dev\nA Long Key:  v\nLimits:\n  Max Objects:  10\nX:              y\n');
});

test('ages in kubectl\'s format', () => {
  const now = new Date('2026-11-21T10:00:00Z');
  assert.equal(age('2026-11-21T09:59:55Z', now), '5s');
  assert.equal(age('2026-11-21T09:56:40Z', now), '3m20s');
  assert.equal(age('2026-11-19T07:00:00Z', now), '2d3h');
  assert.equal(age('2026-11-21T08:00:00Z', now), '120m');
  assert.equal(age(undefined, now), '<unknown>');
  assert.equal(humanDuration(119_000), '119s');
});

test('describe timestamps', () => {
  assert.equal(describeTime('2026-11-21T10:00:00Z'), 'Sat, 21 Nov 2026 10:00:00 +0000');
  assert.equal(describeTimeAndAge('2026-11-21T10:00:00Z', new Date('2026-11-21T10:05:00Z')), 'Sat, 21 Nov 2026 10:00:00 +0000 (5m ago)');
  assert.equal(describeTime(undefined), '<unknown>');
});

test('byte sizes', () => {
  assert.equal(byteSize(0), '0 B');
  assert.equal(byteSize(1023), '1023 B');
  assert.equal(byteSize(1536), '1.5 KiB');
  assert.equal(byteSize(12 * 1024 * 1024), '12.0 MiB');
});

test('json and yaml as kubectl prints them: sorted keys, no managedFields', async () => {
  const obj = { kind: 'VirtualCluster', apiVersion: 'kubevisor.dev/v1alpha1', metadata: { name: 'dev', managedFields: [{}] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
  assert.equal(toJson(forOutput(obj)), `{
    "apiVersion": "kubevisor.dev/v1alpha1",
    "kind": "VirtualCluster",
    "metadata": {
        "name": "dev"
    },
    "status": {
        "conditions": [
            {
                "status": "True",
                "type": "Ready"
            }
        ]
    }
}
`);
  assert.equal(await toYaml(listOf([obj])), `apiVersion: v1
items:
- apiVersion: kubevisor.dev/v1alpha1
  kind: VirtualCluster
  metadata:
    name: dev
  status:
    conditions:
    - status: "True"
      type: Ready
kind: List
metadata:
  resourceVersion: ""
`);
});
