// The command line as a user meets it: help, version, and mistakes reported
// kubectl-style on stderr with exit code 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

test('--help, no arguments and help print the overview', () => {
  for (const args of [['--help'], ['-h'], [], ['help']]) {
    const r = run(...args);
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.out, /Usage:\n  kubevisor \[command\]/);
    assert.match(r.out, /^  up /m);
    assert.equal(r.err, '');
  }
});

test('up --help lists every flag with its default', () => {
  for (const args of [['up', '--help'], ['up', '-h'], ['help', 'up']]) {
    const r = run(...args);
    assert.equal(r.code, 0);
    for (const flag of ['--port int', '--host string', '--data-dir string', '--kubeconfig string', '--storage string', '--etcd-endpoints string', '--name string']) {
      assert.ok(r.out.includes(flag), `${flag} in help`);
    }
    assert.match(r.out, /\(default 6443\)/);
  }
});

test('version and --version', () => {
  for (const args of [['version'], ['--version']]) {
    const r = run(...args);
    assert.equal(r.code, 0);
    assert.match(r.out, /^kubevisor v\d+\.\d+\.\d+ \(node v\d+/);
  }
});

test('mistakes: message and hint on stderr, exit code 1, nothing on stdout', () => {
  const cases: Array<[string[], RegExp]> = [
    [['up', '--bogus'], /^error: unknown flag: --bogus\nSee 'kubevisor up --help' for usage\.\n$/],
    [['up', '-x'], /^error: unknown shorthand flag: 'x' in -x\n/],
    [['up', '--port'], /^error: flag needs an argument: --port\n/],
    [['up', '--port', 'abc'], /^error: invalid argument "abc" for "--port" flag: /],
    [['up', '--port=70000'], /^error: invalid argument "70000" for "--port" flag: /],
    [['up', '--storage', 'mysql'], /^error: invalid argument "mysql" for "--storage" flag: must be "sqlite" or "etcd"/],
    [['up', '--etcd-endpoints', 'http://127.0.0.1:2379'], /only used with --storage etcd/],
    [['up', '--storage', 'etcd', '--etcd-endpoints', 'localhost:2379'], /for "--etcd-endpoints" flag/],
    [['up', '--name', 'Bad_Name'], /for "--name" flag/],
    [['up', 'extra'], /^error: unexpected argument "extra"/],
    [['upp'], /^error: unknown command "upp" for "kubevisor"\n\nDid you mean this\?\n\tup\n/],
    [['--bogus'], /^error: unknown flag: --bogus\nSee 'kubevisor --help' for usage\.\n$/],
    [['version', '--short'], /^error: unknown flag: --short/],
  ];
  for (const [args, expected] of cases) {
    const r = run(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: signal ${r.signal}, stderr ${r.err}`);
    assert.match(r.err, expected, args.join(' '));
    assert.equal(r.out, '', args.join(' '));
  }
});
