// `kubevisor version`: this package's version and the Node.js running it.
import { readFileSync } from 'node:fs';

export const VERSION_HELP = `Print the kubevisor version.

Usage:
  kubevisor version
`;

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

export function versionText(): string {
  return `kubevisor v${packageVersion()} (node ${process.version}, ${process.platform}/${process.arch})\n`;
}
