import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRFC1123Z, formatRFC3339In, parseSchedule } from './cron.ts';

const at = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

test('five-field schedules', () => {
  assert.equal(iso(parseSchedule('*/15 * * * *').next(at('2024-05-01T10:07:30Z'))), '2024-05-01T10:15:00.000Z');
  assert.equal(iso(parseSchedule('* * * * *').next(at('2024-05-01T10:07:00Z'))), '2024-05-01T10:08:00.000Z');
  assert.equal(iso(parseSchedule('0 9 * * 1-5').next(at('2024-05-03T09:00:00Z'))), '2024-05-06T09:00:00.000Z'); // Friday -> Monday
  assert.equal(iso(parseSchedule('30 2 1 jan,jul *').next(at('2024-02-01T00:00:00Z'))), '2024-07-01T02:30:00.000Z');
  assert.equal(iso(parseSchedule('5-10/2 * * * *').next(at('2024-05-01T10:06:00Z'))), '2024-05-01T10:07:00.000Z');
  // Day of month and day of week: either may match when neither is "*".
  assert.equal(iso(parseSchedule('0 0 13 * fri').next(at('2024-09-01T00:00:00Z'))), '2024-09-06T00:00:00.000Z');
  assert.equal(iso(parseSchedule('0 0 13 * *').next(at('2024-09-01T00:00:00Z'))), '2024-09-13T00:00:00.000Z');
  assert.equal(parseSchedule('0 0 31 2 *').next(at('2024-01-01T00:00:00Z')), undefined);
});

test('descriptors and @every', () => {
  assert.equal(iso(parseSchedule('@hourly').next(at('2024-05-01T10:07:00Z'))), '2024-05-01T11:00:00.000Z');
  assert.equal(iso(parseSchedule('@daily').next(at('2024-05-01T10:07:00Z'))), '2024-05-02T00:00:00.000Z');
  assert.equal(iso(parseSchedule('@weekly').next(at('2024-05-01T10:07:00Z'))), '2024-05-05T00:00:00.000Z');
  assert.equal(iso(parseSchedule('@monthly').next(at('2024-05-01T10:07:00Z'))), '2024-06-01T00:00:00.000Z');
  assert.equal(iso(parseSchedule('@yearly').next(at('2024-05-01T10:07:00Z'))), '2025-01-01T00:00:00.000Z');
  assert.equal(iso(parseSchedule('@every 1m30s').next(at('2024-05-01T10:07:00.500Z'))), '2024-05-01T10:08:30.000Z');
});

test('time zones', () => {
  const s = parseSchedule('0 9 * * *', 'America/New_York');
  assert.equal(iso(s.next(at('2024-01-10T00:00:00Z'))), '2024-01-10T14:00:00.000Z');
  assert.equal(iso(s.next(at('2024-07-10T00:00:00Z'))), '2024-07-10T13:00:00.000Z');
  // A wall time skipped by the spring change does not happen that day.
  assert.equal(iso(parseSchedule('30 2 * * *', 'America/New_York').next(at('2024-03-10T05:00:00Z'))), '2024-03-11T06:30:00.000Z');
  assert.equal(iso(parseSchedule('TZ=Asia/Tokyo 0 0 * * *').next(at('2024-05-01T00:00:00Z'))), '2024-05-01T15:00:00.000Z');
  assert.throws(() => parseSchedule('0 0 * * *', 'Nowhere/City'), /unknown time zone/);
  assert.throws(() => parseSchedule('61 * * * *'), /above maximum/);
});

test('time formats', () => {
  assert.equal(formatRFC3339In(at('2024-01-10T14:00:00Z'), undefined), '2024-01-10T14:00:00Z');
  assert.equal(formatRFC3339In(at('2024-01-10T14:00:00Z'), 'America/New_York'), '2024-01-10T09:00:00-05:00');
  assert.equal(formatRFC3339In(at('2024-01-10T14:00:00Z'), 'Asia/Kolkata'), '2024-01-10T19:30:00+05:30');
  assert.equal(formatRFC1123Z(at('2006-01-02T15:04:05Z')), 'Mon, 02 Jan 2006 15:04:05 +0000');
});
