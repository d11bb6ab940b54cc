import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import {
  Everything, Nothing, fromLabelSelector, parseLabelSelector, selectorFromSet,
} from './labels.ts';
import { SelectorError } from './selector-error.ts';

function parseError(s: string): SelectorError {
  try {
    parseLabelSelector(s);
  } catch (e) {
    assert.ok(e instanceof SelectorError, `expected SelectorError for ${JSON.stringify(s)}, got ${String(e)}`);
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    return e;
  }
  assert.fail(`expected ${JSON.stringify(s)} to fail`);
}

test('good selectors round-trip to their canonical string', () => {
  const cases: Array<[string, string]> = [
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['', ''],
    ['x!=a,y=b', 'x!=a,y=b'],
    ['x=', 'x='],
    ['x= ', 'x='],
    ['x=,z= ', 'x=,z='],
    ['!x', '!x'],
    ['x>1', 'x>1'],
    ['x>1,z<5', 'x>1,z<5'],
    ['x=a,a=x', 'a=x,x=a'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['  env  in  ( prod , dev )  ', 'env in (dev,prod)'],
    ['x==a', 'x==a'],
    ['in in (in, notin)', 'in in (in,notin)'],
    ['example.com/app=web', 'example.com/app=web'],
    ['a in (,)', 'a in ()'],
    ['a in (b,b,a)', 'a in (a,b)'],
  ];
  for (const [input, want] of cases) assert.equal(parseLabelSelector(input).toString(), want, input);
});

test('matching with every operator', () => {
  const labels = { app: 'web', tier: 'front', n: '10' };
  const yes = ['app=web', 'app==web', 'app!=db', 'app in (web,db)', 'app notin (db)', 'missing notin (x)', 'app',
    '!missing', 'n>9', 'n<11', 'app,tier=front', 'missing!=x', ''];
  const no = ['app=db', 'app!=web', 'app in (db)', 'app notin (web)', 'missing', '!app', 'n>10', 'n<10', 'app>1',
    'missing>1', 'missing=', 'app,tier=back', 'missing in (x)'];
  for (const s of yes) assert.equal(parseLabelSelector(s).matches(labels), true, s);
  for (const s of no) assert.equal(parseLabelSelector(s).matches(labels), false, s);
  assert.equal(parseLabelSelector('a=').matches({ a: '' }), true);
  assert.equal(parseLabelSelector('a in ()').matches({ a: '' }), true);
  assert.equal(parseLabelSelector('a').matches(undefined), false);
  assert.equal(parseLabelSelector('!a').matches(undefined), true);
  // Values compared as 64-bit integers.
  assert.equal(parseLabelSelector('n>9223372036854775806').matches({ n: '9223372036854775807' }), true);
  assert.equal(parseLabelSelector('n<1').matches({ n: '9223372036854775808' }), false);
  // Inherited properties are not labels.
  assert.equal(parseLabelSelector('toString').matches({}), false);
});

test('Everything, Nothing and sets', () => {
  assert.equal(parseLabelSelector(''), Everything);
  assert.equal(Everything.empty, true);
  assert.equal(Everything.matches(undefined), true);
  assert.equal(Nothing.matches({}), false);
  assert.equal(Nothing.empty, false);
  assert.equal(parseLabelSelector('  ').empty, true);
  const s = selectorFromSet({ b: '2', a: '1' });
  assert.equal(s.toString(), 'a=1,b=2');
  assert.equal(s.requiresExactMatch('b'), '2');
  assert.equal(parseLabelSelector('a in (x)').requiresExactMatch('a'), 'x');
  assert.equal(parseLabelSelector('a in (x,y)').requiresExactMatch('a'), undefined);
  assert.equal(parseLabelSelector('a!=x').requiresExactMatch('a'), undefined);
});

test('syntax errors carry upstream texts', () => {
  const cases: Array<[string, string]> = [
    ['x=a b', "found 'b', expected: ',' or 'end of string'"],
    ['x==a==b', "found '==', expected: ',' or 'end of string'"],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a,,b', "found ',', expected: identifier after ','"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    [',', "found ',', expected: !, identifier, or 'end of string'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['x in', "unable to parse requirement: found '' expected: '('"],
    ['x in a', "unable to parse requirement: found 'a' expected: '('"],
    ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['x in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ['x in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['x in (a,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
    ['x in (', "unable to parse requirement: found '', expected: ',', ')' or identifier"],
    ['x=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['!!a', "unable to parse requirement: found '!', expected: identifier"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
  ];
  for (const [input, want] of cases) assert.equal(parseError(input).message, want, input);
});

test('invalid keys and values', () => {
  assert.match(parseError('x=a||y=b').message, /^unable to parse requirement: values\[0\]\[x\]: Invalid value: "a\|\|y": a valid label/);
  assert.equal(parseError('x<a').message,
    "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer");
  assert.equal(parseError('-a=b').message,
    'unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', ' +
    "and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', " +
    "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  assert.equal(parseError('a=-b').message,
    'unable to parse requirement: values[0][a]: Invalid value: "-b": a valid label must be an empty string or consist of ' +
    "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
    "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  assert.equal(parseError(`a=${'v'.repeat(64)}`).message.startsWith(
    `unable to parse requirement: values[0][a]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 bytes`), true);
  assert.equal(parseError('Foo_/bar').message,
    'unable to parse requirement: <nil>: Invalid value: "Foo_/bar": prefix part a lowercase RFC 1123 subdomain must consist of lower case ' +
    "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for " +
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  assert.match(parseError('/a').message, /<nil>: Invalid value: "\/a": prefix part must be non-empty$/);
  assert.match(parseError('a/b/c').message, /Invalid value: "a\/b\/c": a valid label key must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/);
  // An empty name fails twice: non-empty and the pattern.
  assert.match(parseError('a/').message, /name part must be non-empty; name part must consist/);
  // Two value problems aggregate in brackets.
  assert.match(parseError('x in (-a,-b)').message, /^unable to parse requirement: \[values\[0\]\[x\]: Invalid value: "-a": .*, values\[1\]\[x\]: Invalid value: "-b": .*\]$/);
  assert.match(parseError('x>99999999999999999999').message, /values\[0\]: Invalid value: "99999999999999999999": for 'Gt', 'Lt' operators, the value must be an integer/);
});

test('odd input never crashes', () => {
  for (const s of ['(', ')', '!=', '==', '<', '>', 'a<', 'a>', '\u0000', 'a\u0000b', 'a in ((', '\t\n\r', 'ü=ö', 'a=b,!c,d in (e)']) {
    try {
      parseLabelSelector(s);
    } catch (e) {
      assert.ok(e instanceof SelectorError, s);
    }
  }
  // A NUL ends the input.
  assert.equal(parseLabelSelector('a \u0000 junk (').toString(), 'a');
  const long = Array.from({ length: 5000 }, (_, i) => `k${i}=v`).join(',');
  assert.equal(parseLabelSelector(long).requirements.length, 5000);
});

test('fromLabelSelector', () => {
  assert.equal(fromLabelSelector(null), Nothing);
  assert.equal(fromLabelSelector(undefined), Nothing);
  assert.equal(fromLabelSelector({}), Everything);
  assert.equal(fromLabelSelector({ matchLabels: {}, matchExpressions: [] }), Everything);
  const s = fromLabelSelector({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['front', 'edge'] },
      { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'owner', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  });
  assert.equal(s.toString(), 'app=web,env notin (dev),!legacy,owner,tier in (edge,front)');
  assert.equal(s.matches({ app: 'web', tier: 'edge', owner: 'me' }), true);
  assert.equal(s.matches({ app: 'web', tier: 'edge', owner: 'me', legacy: '' }), false);
  assert.equal(s.matches({ app: 'web', tier: 'edge', owner: 'me', env: 'dev' }), false);
  assert.equal(s.matches({ app: 'web', tier: 'back', owner: 'me' }), false);

  const err = (ls: unknown): SelectorError => {
    try {
      fromLabelSelector(ls);
    } catch (e) {
      assert.ok(e instanceof SelectorError);
      return e;
    }
    assert.fail('expected an error');
  };
  assert.equal(err({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }).message, '"Gt" is not a valid label selector operator');
  assert.equal(err({ matchExpressions: [{ key: 'a', operator: 'In' }] }).message,
    "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty");
  assert.equal(err({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }).message,
    'values: Invalid value: ["x"]: values set must be empty for exists and does not exist');
  const e = err({ matchLabels: { 'bad key': 'v' } });
  assert.match(e.message, /^key: Invalid value: "bad key": name part must consist/);
  assert.equal(e.fieldErrors[0]?.field, 'key');
  assert.throws(() => fromLabelSelector('x'), SelectorError);
});
