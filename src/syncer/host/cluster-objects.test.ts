// ClusterObjects against a real kubevisor host in this process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { ClusterObjects } from './cluster-objects.ts';
import { HostConnection } from './connection.ts';
import { HostError } from './errors.ts';
import { startTestHost, type TestHost } from './testing.ts';

let host: TestHost;
let conn: HostConnection;
let classes: ClusterObjects;

before(async () => {
  host = await startTestHost();
  conn = await HostConnection.connect({ text: host.kubeconfig });
  classes = new ClusterObjects(conn, { apiVersion: 'scheduling.k8s.io/v1', plural: 'priorityclasses' });
});
after(async () => {
  conn?.close();
  await host?.close();
});

const pc = (name: string, labels: Record<string, string> = {}): KubeObject =>
  ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name, labels }, value: 100 });

test('create, get, list by label, update, delete', async () => {
  const made = await classes.create(pc('one', { owner: 'a' }), 'test');
  assert.equal(made.metadata.name, 'one');
  await classes.create(pc('two', { owner: 'b' }));
  assert.deepEqual((await classes.list('owner=a')).map((o) => o.metadata.name), ['one']);
  assert.equal((await classes.get('one'))?.metadata.uid, made.metadata.uid);
  assert.equal(await classes.get('none'), undefined);
  const updated = await classes.update({ ...made, description: 'changed' });
  assert.equal(updated['description'], 'changed');
  // A stale resourceVersion is a conflict.
  const stale = await classes.update({ ...made, description: 'again' }).catch((e: unknown) => e);
  assert.ok(stale instanceof HostError && stale.conflict, String(stale));
  const dup = await classes.create(pc('two')).catch((e: unknown) => e);
  assert.ok(dup instanceof HostError && dup.alreadyExists, String(dup));
  // Deleting with another uid (a namesake) does nothing; a missing object is fine.
  await classes.delete('one', 'not-its-uid');
  assert.ok(await classes.get('one'));
  await classes.delete('one', made.metadata.uid);
  await classes.delete('one');
  assert.equal(await classes.get('one'), undefined);
});
