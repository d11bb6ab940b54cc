// `npm run build`: compile src/ to plain JavaScript in dist/ (so running
// kubevisor needs no TypeScript stripping: faster to start, less memory) and
// copy the generated JSON tables beside the code that reads them.
// `--if-stale` builds only when a source is newer than the last build.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, globSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const stamp = join(root, 'dist', '.built');

function newestSource(): number {
  let newest = 0;
  for (const f of globSync('src/**/*.{ts,json}', { cwd: root })) newest = Math.max(newest, statSync(join(root, f)).mtimeMs);
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) newest = Math.max(newest, statSync(join(root, f)).mtimeMs);
  return newest;
}

if (process.argv.includes('--if-stale') && existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource()) process.exit(0);

const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('kubevisor: build failed');
  process.exit(tsc.status ?? 1);
}
for (const f of globSync('src/**/*.json', { cwd: root })) {
  const to = join(root, 'dist', f);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(join(root, f), to);
}
writeFileSync(stamp, new Date().toISOString() + '\n');
