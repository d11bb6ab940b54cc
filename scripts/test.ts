// `npm test`: type-check, then every *.test.ts under src/ and test/ with node's
// test runner, several files at once. Extra arguments narrow the file set.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const tsc = spawnSync('npx', ['tsc', '--noEmit', '-p', '.'], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('type check failed');
  process.exit(tsc.status ?? 1);
}

// The end-to-end suites run the JavaScript build, like `npm start`.
const build = spawnSync(process.execPath, ['scripts/build.ts'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const args = process.argv.slice(2);
const files = args.length > 0 ? args : [
  ...globSync('src/**/*.test.ts'),
  ...globSync('test/**/*.test.ts'),
].sort();

// Suites that measure latency run alone afterwards: other suites' CPU would skew them.
const alone = (f: string) => f.endsWith('fairness.test.ts');
const runFiles = (list: string[], concurrency: number): number => {
  if (list.length === 0) return 0;
  const run = spawnSync(process.execPath, [
    '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', '--test-reporter=spec', ...list,
  ], { stdio: 'inherit' });
  return run.status ?? 1;
};
const first = runFiles(files.filter((f) => !alone(f)), 3);
const second = runFiles(files.filter(alone), 1);
process.exit(first || second);
