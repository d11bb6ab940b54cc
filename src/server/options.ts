// What it takes to start a kubevisor server, and what a running one offers.
import type { KVStore } from '../storage/types.ts';
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
  /** SHA-256 hex digests of bearer tokens that authenticate as the admin (system:masters). */
  adminTokenHashes: string[];
  /** The store of the one virtual cluster (multi-tenancy arrives later). */
  store: KVStore;
  /** Name of the virtual cluster, also served at /clusters/NAME. */
  clusterName: string;
  /** Where a cluster keeps files of its own (its service-account signing key); tokens are not served without it. */
  dataDir?: string;
  /**
   * Let pod annotations name host files, commands and addresses for logs,
   * exec and port-forward (single-user servers only). Default false.
   */
  podHostAccess?: boolean;
  /**
   * Called for every cluster the server opens (controllers start here); the
   * returned function runs when the cluster closes.
   */
  onClusterOpen?: (vc: VirtualCluster) => (() => void) | void;
}

export interface RunningServer {
  /** https://HOST:PORT */
  readonly url: string;
  readonly port: number;
  /** Stop accepting, end watches, close the store. */
  close(): Promise<void>;
}
