// For tests: a real kubevisor server in this process acting as the host, and
// a TCP relay in front of it that a test can cut (every connection dropped,
// new ones refused) and restore, to play a host outage.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { standaloneKubeconfig } from '../../cli/kubeconfig.ts';
import { startKubevisorServer, type KubevisorServer } from '../../cli/server-runtime.ts';
import type { VirtualCluster } from '../../server/cluster.ts';
import { ensurePki } from '../../server/pki/pki.ts';

export interface TestHost {
  readonly server: KubevisorServer;
  readonly name: string;
  /** The host cluster as the server sees it (its open watches: `vc.watches`). */
  vc(): VirtualCluster;
  /** A kubeconfig reaching the cluster directly. */
  readonly kubeconfig: string;
  /** A kubeconfig reaching the cluster through the relay. */
  readonly relayedKubeconfig: string;
  readonly relay: Relay;
  /** Pause the host cluster: watches end, requests get 503. */
  pause(): Promise<void>;
  /** Resume it: a fresh watch cache, so resourceVersions from before are too old (410). */
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** A kubevisor server with one cluster (no controllers: objects just sit there). */
export async function startTestHost(name = 'host'): Promise<TestHost> {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-host-'));
  const dataDir = join(dir, 'data');
  const pki = await ensurePki(dataDir);
  const server = await startKubevisorServer({
    host: '127.0.0.1', port: 0, dataDir, storage: { backend: 'sqlite' }, pki, controllers: () => () => {},
  });
  const port = Number(new URL(server.url).port);
  const relay = await startRelay(port);
  try {
    let vc = await server.ensureCluster(name);
    const creds = await server.manager.credentials(name);
    const config = (url: string) => standaloneKubeconfig({
      name, server: `${url}/clusters/${name}`, caCert: pki.caCert, clientCert: creds.certChainPem, clientKey: creds.keyPem,
    });
    return {
      server, name, relay,
      vc: () => vc,
      kubeconfig: config(server.url),
      relayedKubeconfig: config(`https://127.0.0.1:${relay.port}`),
      async pause() {
        // ensureCluster waits for a serving cluster, which a paused one is not.
        await server.ensureCluster(name, { paused: true }).catch((e: unknown) => {
          if ((e as { code?: number }).code !== 503) throw e;
        });
      },
      async resume() {
        vc = await server.ensureCluster(name, { paused: false });
      },
      async close() {
        await relay.close();
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await relay.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export interface Relay {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Drop every connection and refuse new ones until `restore`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP relay to a server that can drop every connection, to play a broken connection. */
export async function startRelay(targetPort: number): Promise<Relay> {
  const open = new Set<Socket>();
  let down = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (down) { client.destroy(); return; }
    accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const drop = () => { client.destroy(); upstream.destroy(); open.delete(client); open.delete(upstream); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    port: address.port,
    get accepted() { return accepted; },
    cut() {
      down = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() { down = false; },
    close() {
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
