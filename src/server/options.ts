// What it takes to start a kubevisor server, and what a running one offers.
import type { VirtualCluster } from './cluster.ts';

export interface TlsMaterial {
  /** PEM serving certificate chain and key. */
  cert: string;
  key: string;
  /** PEM CA bundle that client certificates must chain to. */
  clientCA: string;
}

export interface ServerOptions {
  host: string;                 // 127.0.0.1 unless told otherwise
  port: number;                 // 0 picks a free port
  tls: TlsMaterial;
  /** The admin API, served at the server root. */
  admin: VirtualCluster;
  /**
   * The virtual cluster for /clusters/NAME: throws 404 for an unknown name and
   * 503 for a paused one; wakes a sleeping one.
   */
  resolveCluster(name: string): Promise<VirtualCluster>;
  /** The cluster whose credentials a request without /clusters/NAME carries, if any (else: the admin API). */
  clusterOf?(req: import('node:http').IncomingMessage): string | undefined;
  /** Requests served at once across all clusters before clusters take turns (default 16). */
  concurrency?: number;
  /** At close, after the server stopped accepting: end the clusters (and their upgraded streams). */
  onClose?: () => Promise<void>;
}

export interface RunningServer {
  /** https://HOST:PORT */
  readonly url: string;
  readonly port: number;
  /** Stop accepting, end watches, close the store. */
  close(): Promise<void>;
}
