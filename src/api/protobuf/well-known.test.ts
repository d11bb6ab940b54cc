import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatMicroTime, formatTime, GO_ZERO_TIME_SECONDS, parseDuration, parseTime } from './well-known.ts';

test('times format as Go writes metav1.Time and MicroTime', () => {
  assert.equal(formatTime(1199149261), '2008-01-01T01:01:01Z');
  assert.equal(formatTime(0), '1970-01-01T00:00:00Z');
  assert.equal(formatTime(GO_ZERO_TIME_SECONDS), '0001-01-01T00:00:00Z');
  assert.equal(formatTime(951782400), '2000-02-29T00:00:00Z');
  assert.equal(formatTime(253402300800), undefined); // year 10000
  assert.equal(formatMicroTime(1199149261, 123456789), '2008-01-01T01:01:01.123456Z');
  assert.equal(formatMicroTime(1199149261, 0), '2008-01-01T01:01:01.000000Z');
});

test('RFC 3339 parsing', () => {
  assert.deepEqual(parseTime('2008-01-01T01:01:01Z'), { seconds: 1199149261, nanos: 0 });
  assert.deepEqual(parseTime('2008-01-01T02:31:01+01:30'), { seconds: 1199149261, nanos: 0 });
  assert.deepEqual(parseTime('2008-01-01T01:01:01.5Z'), { seconds: 1199149261, nanos: 500000000 });
  assert.deepEqual(parseTime('0001-01-01T00:00:00Z'), { seconds: GO_ZERO_TIME_SECONDS, nanos: 0 });
  for (const bad of ['', '2008-01-01', '2008-01-01 01:01:01Z', '2023-02-29T00:00:00Z', '2008-13-01T00:00:00Z', '2008-01-01T24:00:00Z', 'now']) {
    assert.equal(parseTime(bad), undefined, bad);
  }
});

test('durations as Go time.Duration prints and parses them', () => {
  const cases: [number, string][] = [
    [0, '0s'], [1, '1ns'], [1500, '1.5µs'], [1_500_000, '1.5ms'], [100_000_000, '100ms'], [1e9, '1s'],
    [90e9, '1m30s'], [3600e9, '1h0m0s'], [3661.5e9, '1h1m1.5s'], [-2e9, '-2s'],
  ];
  for (const [ns, text] of cases) {
    assert.equal(formatDuration(ns), text);
    assert.equal(parseDuration(text), ns, text);
  }
  assert.equal(parseDuration('1h30m'), 5400e9);
  assert.equal(parseDuration('2us'), 2000);
  for (const bad of ['', '1', '1x', 'h', '-', '1.s.']) assert.equal(parseDuration(bad), undefined, bad);
});
