import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from './errors.ts';

test('a Status leaves out empty details fields, as upstream encodes them (omitempty)', () => {
  assert.deepEqual(errors.notFound({ group: '', resource: 'pods' }, 'web').toStatus(), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "web" not found', reason: 'NotFound',
    details: { name: 'web', kind: 'pods' }, code: 404,
  });
  assert.deepEqual(errors.notFound({ group: 'apps', resource: 'deployments' }, 'web').toStatus().details, { name: 'web', group: 'apps', kind: 'deployments' });
});
