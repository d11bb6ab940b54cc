// A host kubevisor (simulated nodes) and a tenant kubevisor whose clusters sync
// to it, both in the test's process, with kubeconfigs for kubectl.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubevisorServer, type KubevisorServer, type RuntimeOptions } from '../../src/cli/server-runtime.ts';
import { standaloneKubeconfig } from '../../src/cli/kubeconfig.ts';
import { ensurePki, type Pki } from '../../src/server/pki/pki.ts';

export interface Side {
  server: KubevisorServer;
  pki: Pki;
  /** A kubeconfig for `cluster` on this server. */
  kubeconfig(cluster: string): Promise<string>;
  /** kubectl environment for `cluster`. */
  env(cluster: string): Promise<NodeJS.ProcessEnv>;
}

export interface TwoServers {
  host: Side;
  tenant: Side;
  dir: string;
  close(): Promise<void>;
}

export async function startSide(dir: string, name: string, podHostAccess = false, extra: Partial<RuntimeOptions> = {}): Promise<Side> {
  const data = join(dir, name, 'data');
  const pki = await ensurePki(data);
  const server = await startKubevisorServer({ host: '127.0.0.1', port: 0, dataDir: data, storage: { backend: 'sqlite' }, pki, podHostAccess, ...extra });
  const files = new Map<string, string>();
  const kubeconfig = async (cluster: string) => {
    const have = files.get(cluster);
    if (have) return have;
    const creds = await server.manager.credentials(cluster);
    const file = join(dir, name, `${cluster}.kubeconfig`);
    writeFileSync(file, standaloneKubeconfig({
      name: cluster, server: `${server.url}/clusters/${cluster}`, caCert: pki.caCert, clientCert: creds.certChainPem, clientKey: creds.keyPem,
    }));
    files.set(cluster, file);
    return file;
  };
  return {
    server, pki, kubeconfig,
    async env(cluster) {
      const home = join(dir, name, `home-${cluster}`);
      mkdirSync(home, { recursive: true });
      return { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: await kubeconfig(cluster) };
    },
  };
}

export async function startTwoServers(): Promise<TwoServers> {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-sync-'));
  // The host's simulated pods may run local commands (exec through the syncer).
  const host = await startSide(dir, 'host', true);
  const tenant = await startSide(dir, 'tenant', false, { podAccess: { dns: { host: '127.0.0.1', port: 0 } } });
  return {
    host, tenant, dir,
    async close() {
      await tenant.server.close();
      await host.server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
