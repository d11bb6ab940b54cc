// Starts a throwaway single-member etcd for tests: the real `etcd` binary on
// 127.0.0.1, on free ports, with a temporary data directory that stop() removes.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface RunningEtcd {
  /** Client URL, e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** The etcd binary: $ETCD_BIN, or `etcd` on the PATH; undefined when there is none. */
export function etcdBinary(): string | undefined {
  const candidates = process.env.ETCD_BIN
    ? [process.env.ETCD_BIN]
    : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'etcd'));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const ETCD_MISSING =
  'the etcd binary was not found (install the Debian package etcd-server, or set ETCD_BIN)';

async function freePorts(n: number): Promise<number[]> {
  // Hold every listener until all ports are known, so the same port is not handed out twice.
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await done;
  clearTimeout(timer);
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

async function startOnce(binary: string): Promise<RunningEtcd> {
  // tmpfs when there is one: etcd fsyncs every commit.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dataDir = await mkdtemp(join(base, 'kubevisor-etcd-'));
  const [clientPort, peerPort] = await freePorts(2);
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(binary, [
    '--name', 'test',
    '--data-dir', dataDir,
    '--listen-client-urls', endpoint,
    '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `test=${peer}`,
    '--logger', 'zap',
    '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const stop = async () => {
    await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  try {
    while (!(await healthy(endpoint))) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`etcd exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${stderr}`);
      }
      const failed = await Promise.race([spawnError, new Promise((resolve) => setTimeout(resolve, 100))]);
      if (failed instanceof Error) throw failed;
      if (Date.now() > deadline) throw new Error(`etcd was not healthy within 30s:\n${stderr}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, stop };
}

/** Start etcd and wait until it reports healthy. The caller must call stop(). */
export async function startEtcd(): Promise<RunningEtcd> {
  const binary = etcdBinary();
  if (binary === undefined) throw new Error(ETCD_MISSING);
  // A port found free can be taken before etcd binds it; try again with new ports.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binary);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
