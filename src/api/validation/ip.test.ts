import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateCIDR, validateIP, validateNonSpecialIP } from './ip.ts';

const details = (errs: ReturnType<typeof validateIP>): string[] => errs.map((e) => e.detail ?? '');

test('IP addresses', () => {
  assert.deepEqual(validateIP('ip', '10.0.0.1'), []);
  assert.deepEqual(validateIP('ip', '2001:db8::1'), []);
  assert.deepEqual(details(validateIP('ip', '10.0.0')), ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
  assert.deepEqual(details(validateIP('ip', '010.0.0.1')), ['must not have leading 0s']);
  assert.deepEqual(details(validateIP('ip', '::ffff:1.2.3.4')), ['must not be an IPv4-mapped IPv6 address']);
  assert.deepEqual(details(validateIP('ip', '2001:DB8::1')), ['must be in canonical form ("2001:db8::1")']);
  assert.deepEqual(details(validateIP('ip', '2001:db8:0:0:0:0:0:1')), ['must be in canonical form ("2001:db8::1")']);
});

test('CIDRs', () => {
  assert.deepEqual(validateCIDR('c', '10.0.0.0/8'), []);
  assert.deepEqual(details(validateCIDR('c', '10.0.0.1/8')), ['must not have bits set beyond the prefix length']);
  assert.deepEqual(details(validateCIDR('c', '10.0.0.0')), ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']);
  assert.deepEqual(details(validateCIDR('c', '10.0.0.0/33')), ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']);
});

test('special addresses', () => {
  assert.deepEqual(details(validateNonSpecialIP('ip', '127.0.0.1')), ['may not be in the loopback range (127.0.0.0/8, ::1/128)']);
  assert.deepEqual(details(validateNonSpecialIP('ip', '169.254.1.1')), ['may not be in the link-local range (169.254.0.0/16, fe80::/10)']);
  assert.deepEqual(details(validateNonSpecialIP('ip', '0.0.0.0')), ['may not be unspecified (0.0.0.0)']);
  assert.deepEqual(validateNonSpecialIP('ip', '10.1.1.1'), []);
});
