// Runs the real kubectl binaries installed on this machine: the dispatcher on
// PATH and the versioned kubectl.1.27 … kubectl.1.33 beside it.

import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Kubevisor } from './kubevisor.ts';

function dispatcherPath(): string {
  return execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
}

/** The path of kubectl 1.<minor>, or the dispatcher for 'dispatcher'. */
export function kubectlBinary(version: string): string {
  const dispatcher = dispatcherPath();
  if (version === 'dispatcher') return dispatcher;
  const p = join(dirname(realpathSync(dispatcher)), `kubectl.${version}`);
  if (!existsSync(p)) throw new Error(`kubectl ${version} is not installed at ${p}`);
  return p;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runKubectl(kv: Kubevisor, binary: string, args: string[], input?: string, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(binary, args, {
      env: { PATH: process.env.PATH ?? '', HOME: kv.home, KUBECONFIG: kv.kubeconfig },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) { child.stdin?.write(input); child.stdin?.end(); }
  });
}

/** A kubectl bound to one server and binary; throws with the output on a non-zero exit. */
export function kubectlFor(kv: Kubevisor, version: string) {
  const bin = kubectlBinary(version);
  const run = (args: string[], input?: string) => runKubectl(kv, bin, args, input);
  return {
    bin,
    run,
    async ok(args: string[], input?: string): Promise<string> {
      const r = await run(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r.stdout;
    },
  };
}
