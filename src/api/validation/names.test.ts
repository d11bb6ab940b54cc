import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isConfigMapKey, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isPathSegmentName, isPathSegmentPrefix, isQualifiedName,
  isRelaxedEnvVarName, isValidLabelValue, isValidPortName, isWildcardDNS1123Subdomain, nameIsDNSLabel, nameIsDNSSubdomain,
} from './names.ts';

const subdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const dns1035Msg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

test('DNS-1123 subdomain: upstream message and 253 limit', () => {
  assert.deepEqual(isDNS1123Subdomain('example.com'), []);
  assert.deepEqual(isDNS1123Subdomain('a'), []);
  assert.deepEqual(isDNS1123Subdomain('Example'), [subdomainMsg]);
  assert.deepEqual(isDNS1123Subdomain('-a'), [subdomainMsg]);
  assert.deepEqual(isDNS1123Subdomain(''), [subdomainMsg]);
  assert.deepEqual(isDNS1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
  assert.deepEqual(isDNS1123Subdomain('a'.repeat(253)), []);
});

test('DNS-1123 label: dots get their own message; 63 limit', () => {
  assert.deepEqual(isDNS1123Label('my-name'), []);
  assert.deepEqual(isDNS1123Label('my.name'), ['must not contain dots']);
  assert.deepEqual(isDNS1123Label('My_Name'), [labelMsg]);
  assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
});

test('DNS-1035 label must start with a letter', () => {
  assert.deepEqual(isDNS1035Label('web'), []);
  assert.deepEqual(isDNS1035Label('1web'), [dns1035Msg]);
});

test('qualified names: prefix and name parts', () => {
  assert.deepEqual(isQualifiedName('app'), []);
  assert.deepEqual(isQualifiedName('example.com/App_1'), []);
  assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
  assert.deepEqual(isQualifiedName('a/'), [
    'name part must be non-empty',
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
  assert.equal(isQualifiedName('a/b/c').length, 1);
  assert.match(isQualifiedName('a/b/c')[0] as string, /^a valid label key must consist of/);
  assert.deepEqual(isQualifiedName('x'.repeat(64)), ['name part must be no more than 63 bytes']);
  assert.deepEqual(isQualifiedName('Bad_Prefix/x'), [`prefix part ${subdomainMsg}`]);
});

test('label values', () => {
  assert.deepEqual(isValidLabelValue(''), []);
  assert.deepEqual(isValidLabelValue('v1.2_3-x'), []);
  assert.deepEqual(isValidLabelValue('-x'), ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]);
  assert.deepEqual(isValidLabelValue('x'.repeat(64)), ['must be no more than 63 bytes']);
});

test('path segments, config keys, env names, port names', () => {
  assert.deepEqual(isPathSegmentName('..'), ["may not be '..'"]);
  assert.deepEqual(isPathSegmentName('a/b%'), ["may not contain '/'", "may not contain '%'"]);
  assert.deepEqual(isPathSegmentPrefix('.'), []);
  assert.deepEqual(isConfigMapKey('..hidden'), ["must not start with '..'"]);
  assert.deepEqual(isConfigMapKey('key.name'), []);
  assert.deepEqual(isRelaxedEnvVarName('A=B'), ["a valid environment variable name must consist only of printable ASCII characters other than '='"]);
  assert.deepEqual(isRelaxedEnvVarName('1-ok.name'), []);
  assert.deepEqual(isValidPortName('http'), []);
  assert.deepEqual(isValidPortName('HTTP'), ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']);
  assert.deepEqual(isValidPortName('a--b-'), ['must not contain consecutive hyphens', 'must not begin or end with a hyphen']);
  assert.deepEqual(isWildcardDNS1123Subdomain('*.example.com'), []);
  assert.equal(isWildcardDNS1123Subdomain('*.*.example.com').length, 1);
});

test('name validators allow a trailing dash in prefixes', () => {
  assert.deepEqual(nameIsDNSSubdomain('web-', true), []);
  assert.deepEqual(nameIsDNSSubdomain('web-', false), [subdomainMsg]);
  assert.deepEqual(nameIsDNSLabel('job-', true), []);
});
