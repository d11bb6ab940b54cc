import { test } from 'node:test';
import { expectErrors, expectValues } from './testing.ts';

test('find and findAll (RE2 syntax, Go match semantics)', () => {
  expectValues([
    ["'abc 123'.find('[0-9]+')", '123'], ["'abc 123'.find('xyz')", ''], ["'abc 123'.find('[0-9]*')", ''],
    ["'123 abc 456'.findAll('[0-9]+')", ['123', '456']], ["'123 abc 456'.findAll('[0-9]+', 1)", ['123']],
    ["'123 abc 456'.findAll('xyz')", []], ["'123 abc 456'.findAll('[0-9]+', 0)", []],
    ["'ab'.findAll('x*')", ['', '', '']], ["'1a'.findAll('[0-9]*')", ['1', '']],
    ["'HELLO'.find('(?i)hel+')", 'HELL'],
  ]);
  expectErrors([["'abc'.find('a(')", 'Illegal regex: error parsing regexp: missing closing ): `a(`'], ["'abc'.findAll('(?=a)')", /^Illegal regex: error parsing regexp: /]]);
});

test('matches uses RE2 syntax', () => {
  expectValues([["'abc'.matches('(?i)ABC')", true], ["'abc'.matches('^b')", false], ["matches('abc', 'b')", true], ["'a\\nb'.matches('\\\\Aa')", true]]);
  expectErrors([["'abc'.matches('a(')", /^error parsing regexp: missing closing \)/]]);
});
