// Opens the configured KVStore backend.
import type { KVStore } from './types.ts';

export type StoreConfig =
  | { readonly backend: 'sqlite'; readonly path: string }
  | { readonly backend: 'etcd'; readonly endpoints: readonly string[]; readonly prefix: string };

/** Open a store; for etcd this fails if no endpoint answers. Backends load on demand. */
export async function openStore(cfg: StoreConfig): Promise<KVStore> {
  switch (cfg.backend) {
    case 'sqlite': {
      const { SqliteStore } = await import('./sqlite.ts');
      return new SqliteStore(cfg.path);
    }
    case 'etcd': {
      const { EtcdStore } = await import('./etcd.ts');
      return EtcdStore.open({ endpoints: cfg.endpoints, prefix: cfg.prefix });
    }
  }
}
