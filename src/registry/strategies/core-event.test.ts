import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coreEventStrategy } from './core-event.ts';
import { eventsV1EventStrategy } from './events-event.ts';
import { clone, messages, runCreate, runUpdate } from './testing.ts';

test('core/v1 events: legacy rules only, zero values written out', () => {
  const ev = { metadata: { name: 'web.17a' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, reason: 'Pulled', message: 'ok', type: 'Normal', count: 1 };
  const { obj, errors } = runCreate(coreEventStrategy, ev, { namespace: 'default' });
  assert.deepEqual(errors, []);
  assert.equal(obj.eventTime, null);
  assert.equal(obj.reportingComponent, '');
  const other = clone(ev) as any;
  other.involvedObject.namespace = 'kube-system';
  assert.deepEqual(messages(runCreate(coreEventStrategy, other, { namespace: 'default' }).errors),
    ['involvedObject.namespace: Invalid value: "kube-system": does not match event.namespace']);
});

test('events.k8s.io/v1: strict rules for new events, immutable content', () => {
  const ev = { metadata: { name: 'web.17b' }, regarding: { kind: 'Pod', name: 'web', namespace: 'default' }, reason: 'Pulled', note: 'ok',
    type: 'Normal', action: 'Pull', reportingController: 'example.com/puller', reportingInstance: 'node-1', eventTime: '2024-01-01T00:00:00.000000Z' };
  const { obj, errors } = runCreate(eventsV1EventStrategy, ev, { namespace: 'default' });
  assert.deepEqual(errors, []);
  const bad = clone(ev) as any;
  delete bad.eventTime;
  bad.type = 'Info';
  bad.deprecatedCount = 3;
  assert.deepEqual(messages(runCreate(eventsV1EventStrategy, bad, { namespace: 'default' }).errors), [
    'eventTime: Required value',
    'type: Invalid value: "": has invalid value: Info',
    'count: Invalid value: "": needs to be unset',
  ]);
  const next = clone(obj) as any;
  next.note = 'changed';
  assert.deepEqual(messages(runUpdate(eventsV1EventStrategy, next, obj).errors), ['message: Invalid value: "changed": field is immutable']);
});
