import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, helpText, parseArgs, parseDuration, type CommandDef } from './command.ts';
import { UsageError } from './flags.ts';

const def: CommandDef = {
  name: 'demo',
  summary: 'demo',
  description: 'A demo.',
  usage: 'demo NAME [flags]',
  examples: [['Do it', 'kubevisor demo x']],
  flags: [
    { name: 'wait', type: 'bool', default: 'true', usage: 'wait' },
    { name: 'output', short: 'o', type: 'string', values: ['json', 'yaml'], usage: 'format' },
    { name: 'nodes', type: 'int', usage: 'nodes' },
    { name: 'timeout', type: 'duration', default: '2m0s', usage: 'timeout' },
    { name: 'all', type: 'bool', short: 'A', usage: 'all' },
  ],
};

test('flags in every pflag spelling, anywhere among the arguments', () => {
  const p = parseArgs(['a', '--wait=false', '-o', 'json', 'b', '--nodes=3', '--timeout', '90s', '-A'], def);
  assert.deepEqual(p.values, { wait: false, output: 'json', nodes: '3', timeout: '90s', all: true });
  assert.deepEqual(p.positionals, ['a', 'b']);
  assert.equal(p.rest, undefined);
  assert.deepEqual(parseArgs(['-ojson'], def).values, { output: 'json' });
  assert.deepEqual(parseArgs(['-o=yaml'], def).values, { output: 'yaml' });
  assert.deepEqual(parseArgs(['--wait'], def).values, { wait: true });
  assert.deepEqual(parseArgs(['--wait=true', '--wait=0'], def).values, { wait: false });
  assert.deepEqual(parseArgs(['-h'], def).values, { help: true });
});

test('-- ends the flags: the rest is a command', () => {
  const p = parseArgs(['x', '--', 'kubectl', '--all', '-o', 'wide'], def);
  assert.deepEqual(p.positionals, ['x']);
  assert.deepEqual(p.rest, ['kubectl', '--all', '-o', 'wide']);
});

test('mistakes are usage errors with kubectl\'s words', () => {
  const fails = (args: string[], message: string) => {
    assert.throws(() => parseArgs(args, def), (err: unknown) => err instanceof UsageError && err.message === message && err.command === 'kubevisor demo');
  };
  fails(['--bogus'], 'unknown flag: --bogus');
  fails(['-x'], "unknown shorthand flag: 'x' in -x");
  fails(['-Ax'], "unknown shorthand flag: 'x' in -Ax");
  fails(['--output'], 'flag needs an argument: --output');
  fails(['-o', 'wide'], 'invalid argument "wide" for "--output" flag: must be one of: json, yaml');
  fails(['--nodes', '-1'], 'invalid argument "-1" for "--nodes" flag: must be a whole number');
  fails(['--timeout', '5'], 'invalid argument "5" for "--timeout" flag: time: invalid duration "5"');
  fails(['--wait=yes'], 'invalid argument "yes" for "--wait" flag: strconv.ParseBool: parsing "yes": invalid syntax');
});

test('Go durations', () => {
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1.5m'), 90_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration(''), undefined);
  assert.equal(parseDuration('5'), undefined);
  assert.equal(parseDuration('5 m'), undefined);
  assert.equal(parseDuration('m'), undefined);
  assert.equal(formatDuration(120_000), '2m0s');
  assert.equal(formatDuration(3_600_000), '1h0m0s');
  assert.equal(formatDuration(45_000), '45s');
});

test('help: description, usage, examples, flags sorted with types and defaults', () => {
  assert.equal(helpText(def), `A demo.

Usage:
  kubevisor demo NAME [flags]

Examples:
  # Do it
  kubevisor demo x

Flags:
  -A, --all                all
  -h, --help               help for demo
      --nodes int          nodes
  -o, --output string      format
      --timeout duration   timeout (default 2m0s)
      --wait               wait (default true)
`);
});
