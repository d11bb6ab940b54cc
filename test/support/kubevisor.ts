// Starts a real `kubevisor up` process for an end-to-end suite: its own data
// dir, port and kubeconfig, stopped (and cleaned up) by the suite.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

// Suites run the JavaScript build, as `npm start` does; rebuild it when sources changed.
const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.ts'), '--if-stale'], { stdio: 'inherit' });
if (build.status !== 0) throw new Error('kubevisor build failed');
export const cliEntry = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export interface Kubevisor {
  url: string;
  kubeconfig: string;
  dataDir: string;
  /** A HOME for clients, so kubectl's discovery cache starts empty per suite. */
  home: string;
  proc: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /** `up` (a server and one cluster, the default) or `serve`. */
  command?: 'up' | 'serve';
  extraArgs?: string[];
  /** A data dir the caller owns (kept on stop); by default one in a temporary dir removed on stop. */
  dataDir?: string;
  /** The kubeconfig to write and the clients' HOME, when the caller owns them. */
  kubeconfig?: string;
  home?: string;
  env?: Record<string, string>;
  /** Receives everything the server prints. */
  output?: (text: string) => void;
}

export async function startKubevisor(opts: StartOptions = {}): Promise<Kubevisor> {
  const base = mkdtempSync(join(tmpdir(), 'kubevisor-e2e-'));
  const dataDir = opts.dataDir ?? join(base, 'data');
  const kubeconfig = opts.kubeconfig ?? join(base, 'kubeconfig');
  const home = opts.home ?? join(base, 'home');
  const proc = spawn(process.execPath, [cliEntry, opts.command ?? 'up', '--port', '0', '--data-dir', dataDir, '--kubeconfig', kubeconfig, ...(opts.extraArgs ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, HOME: home, KUBECONFIG: kubeconfig, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); opts.output?.(d.toString()); });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`kubevisor did not become ready in 20s\nstdout: ${out}\nstderr: ${stderr}`)), 20_000);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      opts.output?.(d.toString());
      const m = /ready (https:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolveUrl(m[1]); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`kubevisor exited with ${code}\nstdout: ${out}\nstderr: ${stderr}`)); });
  });
  proc.stdout?.resume();
  let exited: Promise<number | null> | undefined;
  return {
    url, kubeconfig, dataDir, home, proc,
    stop(signal: NodeJS.Signals = 'SIGINT') {
      exited ??= new Promise<number | null>((res) => {
        if (proc.exitCode !== null) return res(proc.exitCode);
        proc.once('exit', (code) => res(code));
        proc.kill(signal);
        setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
      }).then((code) => {
        if (!opts.dataDir) rmSync(base, { recursive: true, force: true });
        return code;
      });
      return exited;
    },
  };
}
