// A whole kubevisor server in the test's own process, with one virtual cluster
// whose controllers the test chooses, and a kubeconfig for it: for tests that
// drive controllers with the real kubectl.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubevisorServer } from '../../src/cli/server-runtime.ts';
import { standaloneKubeconfig } from '../../src/cli/kubeconfig.ts';
import { ensurePki } from '../../src/server/pki/pki.ts';
import type { VirtualCluster } from '../../src/server/cluster.ts';

export interface InProcessServer {
  vc: VirtualCluster;
  /** A kubeconfig for the cluster (admin credentials). */
  kubeconfig: string;
  /** PATH, an empty HOME and KUBECONFIG, for running kubectl. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startInProcessServer(name: string, controllers: (vc: VirtualCluster) => () => void): Promise<InProcessServer> {
  const dir = mkdtempSync(join(tmpdir(), `kubevisor-${name}-`));
  const pki = await ensurePki(join(dir, 'data'));
  const running = await startKubevisorServer({
    host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), storage: { backend: 'sqlite' }, pki,
    controllers: (vc) => controllers(vc),
  });
  try {
    const vc = await running.ensureCluster(name);
    const creds = await running.manager.credentials(name);
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, standaloneKubeconfig({
      name, server: `${running.url}/clusters/${name}`, caCert: pki.caCert, clientCert: creds.certChainPem, clientKey: creds.keyPem,
    }));
    mkdirSync(join(dir, 'home'));
    return {
      vc, kubeconfig,
      env: { PATH: process.env.PATH ?? '', HOME: join(dir, 'home'), KUBECONFIG: kubeconfig },
      async close() {
        await running.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Whether a `kubectl` is on PATH. */
export function hasKubectl(): Promise<boolean> {
  return new Promise((resolve) => execFile('sh', ['-c', 'command -v kubectl'], (err) => resolve(!err)));
}

/** Run `kubectl` with `env` (an InProcessServer's); `out` is stdout followed by stderr. */
export function kubectl(env: NodeJS.ProcessEnv, args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string; out: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', args, { env, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), out: `${stdout}${stderr}` });
    });
  });
}
