import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  formatLabelSelector, formatLabels, formatRFC3339, humanDuration, listWithMore, parseTime, selectorString,
  translateTimestampSince,
} from './format.ts';
import { DAY, HOUR, MINUTE, NOW, SECOND, ago } from './testing.ts';

test('humanDuration at its boundaries', () => {
  const cases: Array<[number, string]> = [
    [-5 * SECOND, '<invalid>'],
    [-2 * SECOND, '<invalid>'],
    [-1999, '0s'], // within the tolerated clock skew
    [-SECOND, '0s'],
    [0, '0s'],
    [999, '0s'],
    [SECOND, '1s'],
    [59 * SECOND, '59s'],
    [MINUTE, '60s'], // seconds are shown up to two minutes
    [119 * SECOND, '119s'],
    [2 * MINUTE, '2m'],
    [3 * MINUTE + 4 * SECOND, '3m4s'],
    [9 * MINUTE + 59 * SECOND, '9m59s'],
    [10 * MINUTE, '10m'],
    [10 * MINUTE + 30 * SECOND, '10m'],
    [HOUR, '60m'],
    [HOUR + 30 * MINUTE, '90m'],
    [179 * MINUTE, '179m'],
    [3 * HOUR, '3h'],
    [3 * HOUR + 30 * MINUTE, '3h30m'],
    [7 * HOUR + 59 * MINUTE, '7h59m'],
    [8 * HOUR, '8h'],
    [8 * HOUR + 30 * MINUTE, '8h'],
    [47 * HOUR, '47h'],
    [2 * DAY, '2d'],
    [2 * DAY + 3 * HOUR, '2d3h'],
    [7 * DAY + 23 * HOUR, '7d23h'],
    [8 * DAY, '8d'],
    [30 * DAY, '30d'],
    [729 * DAY, '729d'],
    [730 * DAY, '2y'],
    [2 * 365 * DAY + 40 * DAY, '2y40d'],
    [8 * 365 * DAY - DAY, '7y364d'],
    [8 * 365 * DAY, '8y'],
    [20 * 365 * DAY + 100 * DAY, '20y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `humanDuration(${ms})`);
});

test('translateTimestampSince', () => {
  assert.equal(translateTimestampSince(undefined, NOW), '<unknown>');
  assert.equal(translateTimestampSince('', NOW), '<unknown>');
  assert.equal(translateTimestampSince('not a time', NOW), '<unknown>');
  assert.equal(translateTimestampSince('0001-01-01T00:00:00Z', NOW), '<unknown>');
  assert.equal(translateTimestampSince(ago(5 * MINUTE), NOW), '5m');
  assert.equal(translateTimestampSince('2024-05-01T11:55:00Z', NOW), '5m');
  assert.equal(translateTimestampSince('2024-05-01T13:55:00+02:00', NOW), '5m');
  assert.equal(translateTimestampSince('2024-05-01T11:59:59.500000Z', NOW), '0s');
  assert.equal(translateTimestampSince('2024-05-01T12:00:10Z', NOW), '<invalid>');
});

test('parseTime and formatRFC3339', () => {
  assert.equal(parseTime('2024-05-01T12:00:00Z'), NOW.getTime());
  assert.equal(parseTime('2024-05-01T12:00:00.123456Z'), NOW.getTime() + 123.456);
  assert.equal(formatRFC3339('2024-05-01T14:00:00.75+02:00'), '2024-05-01T12:00:00Z');
  assert.equal(formatRFC3339(undefined), '0001-01-01T00:00:00Z');
});

test('label maps and selectors', () => {
  assert.equal(formatLabels(undefined), '<none>');
  assert.equal(formatLabels({}), '<none>');
  assert.equal(formatLabels({ tier: 'web', app: 'shop' }), 'app=shop,tier=web');
  assert.equal(formatLabelSelector(undefined), '<none>');
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector({ matchLabels: { b: '2', a: '1' } }), 'a=1,b=2');
  assert.equal(formatLabelSelector({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'zone', operator: 'In', values: ['b', 'a'] },
      { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'gpu', operator: 'Exists' },
    ],
  }), 'app=web,!canary,env notin (dev),gpu,zone in (a,b)');
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Near', values: ['x'] }] }), '<error>');
  assert.equal(selectorString({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), undefined);
});

test('listWithMore', () => {
  assert.equal(listWithMore([], 3), '<unset>');
  assert.equal(listWithMore(['a', 'b'], 3), 'a,b');
  assert.equal(listWithMore(['a', 'b', 'c'], 3), 'a,b,c');
  assert.equal(listWithMore(['a', 'b', 'c', 'd', 'e'], 3), 'a,b,c + 2 more...');
});
