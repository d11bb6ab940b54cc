import { test } from 'node:test';
import { expectErrors, expectValues } from './testing.ts';

test('charAt', () => {
  expectValues([["'hello'.charAt(4)", 'o'], ["'hello'.charAt(5)", ''], ["'héllo'.charAt(1)", 'é'], ["'a😀b'.charAt(2)", 'b']]);
  expectErrors([["'hello'.charAt(-1)", 'index out of range: -1'], ["'hello'.charAt(6)", 'index out of range: 6']]);
});

test('indexOf and lastIndexOf count code points', () => {
  expectValues([
    ["'hello mellow'.indexOf('')", 0n], ["'hello mellow'.indexOf('ello')", 1n], ["'hello mellow'.indexOf('jello')", -1n],
    ["'hello mellow'.indexOf('', 2)", 2n], ["'hello mellow'.indexOf('ello', 2)", 7n], ["'hello mellow'.indexOf('ello', 20)", -1n],
    ["'😀a'.indexOf('a')", 1n],
    ["'hello mellow'.lastIndexOf('')", 12n], ["'hello mellow'.lastIndexOf('ello')", 7n], ["'hello mellow'.lastIndexOf('jello')", -1n],
    ["'hello mellow'.lastIndexOf('ello', 6)", 1n], ["'hello mellow'.lastIndexOf('ello', 20)", -1n],
  ]);
  expectErrors([["'hello mellow'.indexOf('ello', -1)", 'index out of range: -1'], ["'hello mellow'.lastIndexOf('ello', -1)", 'index out of range: -1']]);
});

test('lowerAscii, upperAscii and trim', () => {
  expectValues([
    ["'TacoCat'.lowerAscii()", 'tacocat'], ["'TacoCÆt Xii'.lowerAscii()", 'tacocÆt xii'],
    ["'TacoCat'.upperAscii()", 'TACOCAT'], ["'TacoCÆt Xii'.upperAscii()", 'TACOCÆT XII'],
    ["'  \\ttrim\\n    '.trim()", 'trim'], ["'\\ufeffx'.trim()", '\ufeffx'],
  ]);
});

test('replace', () => {
  expectValues([
    ["'hello hello'.replace('he', 'we')", 'wello wello'], ["'hello hello'.replace('he', 'we', -1)", 'wello wello'],
    ["'hello hello'.replace('he', 'we', 1)", 'wello hello'], ["'hello hello'.replace('he', 'we', 0)", 'hello hello'],
    ["'hello hello'.replace('', '_')", '_h_e_l_l_o_ _h_e_l_l_o_'], ["'hello hello'.replace('h', '')", 'ello ello'],
  ]);
});

test('split and join', () => {
  expectValues([
    ["'hello hello hello'.split(' ')", ['hello', 'hello', 'hello']], ["'hello hello hello'.split(' ', 0)", []],
    ["'hello hello hello'.split(' ', 1)", ['hello hello hello']], ["'hello hello hello'.split(' ', 2)", ['hello', 'hello hello']],
    ["'hello hello hello'.split(' ', -1)", ['hello', 'hello', 'hello']], ["'ab'.split('')", ['a', 'b']],
    ["['hello', 'mellow'].join()", 'hellomellow'], ["['hello', 'mellow'].join(' ')", 'hello mellow'],
    ['[].join()', ''], ["[].join('/')", ''],
  ]);
});

test('substring', () => {
  expectValues([["'tacocat'.substring(4)", 'cat'], ["'tacocat'.substring(0, 4)", 'taco'], ["'😀ab'.substring(1, 2)", 'a']]);
  expectErrors([
    ["'tacocat'.substring(-1)", 'index out of range: -1'], ["'tacocat'.substring(8)", 'index out of range: 8'],
    ["'tacocat'.substring(2, 1)", 'invalid substring range. start: 2, end: 1'], ["'tacocat'.substring(0, 9)", 'index out of range: 9'],
  ]);
});

test('strings.quote and format', () => {
  expectValues([
    ["strings.quote('single-quote with \"double quote\"')", '"single-quote with \\"double quote\\""'],
    ["strings.quote(\"two escape sequences \\a\\n\")", '"two escape sequences \\a\\n"'],
    ["'this is a string: %s\\nand an integer: %d'.format(['str', 42])".replace("['str', 42]", "[dyn('str'), dyn(42)]"), 'this is a string: str\nand an integer: 42'],
    ["'a double substituted with %%s: %s'.format([64.2])", 'a double substituted with %s: 64.2'],
    ["'%f'.format([3.14])", '3.140000'], ["'%.2f'.format([1234.5])", '1,234.50'],
    ["'5 in binary: %b'.format([5])", '5 in binary: 101'], ["'26 in hex: %x'.format([26])", '26 in hex: 1a'],
    ["'26 in hex (uppercase): %X'.format([26])", '26 in hex (uppercase): 1A'], ["'30 in octal: %o'.format([30])", '30 in octal: 36'],
    ["'%s'.format([[1, 2, 3]])", '[1, 2, 3]'], ["'%s %s'.format([true, false])", 'true false'],
  ]);
  expectErrors([["'%d %d'.format([1])", 'index 1 out of range'], ["'%q'.format([1])", /unrecognized formatting clause "q"/], ["'%d'.format(['x'])", /decimal clause can only be used on integers/]]);
});
