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

const run = spawnSync(process.execPath, [
  '--test', '--test-concurrency=3', '--test-timeout=600000', '--test-reporter=spec', ...files,
], { stdio: 'inherit' });
process.exit(run.status ?? 1);
