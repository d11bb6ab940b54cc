import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronScheduleError } from './cron.ts';

test('valid schedules', () => {
  for (const s of ['*/5 * * * *', '0 0 * * 0', '0 9-17 * JAN-MAR mon-fri', '@hourly', '@every 1h30m', '15,45 */2 1 * ?']) {
    assert.equal(cronScheduleError(s), undefined, s);
  }
});

test('parser errors as the API server reports them', () => {
  assert.equal(cronScheduleError(''), 'empty spec string');
  assert.equal(cronScheduleError('* * *'), 'expected exactly 5 fields, found 3: [* * *]');
  assert.equal(cronScheduleError('61 * * * *'), 'end of range (61) above maximum (59): 61');
  assert.equal(cronScheduleError('* * 0 * *'), 'beginning of range (0) below minimum (1): 0');
  assert.equal(cronScheduleError('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
  assert.equal(cronScheduleError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
  assert.equal(cronScheduleError('1-2-3 * * * *'), 'too many hyphens: 1-2-3');
  assert.equal(cronScheduleError('*/0 * * * *'), 'step of range should be a positive number: */0');
  assert.equal(cronScheduleError('@fortnightly'), 'unrecognized descriptor: @fortnightly');
});
