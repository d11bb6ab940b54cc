// One connection (and one set of shared informers) per host cluster, shared by
// every virtual cluster of this server that runs on it. A host is known by its
// kubeconfig text and context; the connection closes when its last user leaves.
import { HostConnection, HostInformers, type KubeconfigSource } from './host/index.ts';

export interface HostLink {
  /** Which host (kubeconfig and context): links with the same key share the connection. */
  readonly key: string;
  readonly conn: HostConnection;
  readonly informers: HostInformers;
  release(): void;
}

interface Entry { conn: Promise<HostConnection>; informers?: HostInformers; users: number }

export class HostPool {
  private readonly entries = new Map<string, Entry>();

  async acquire(source: KubeconfigSource, context: string | undefined): Promise<HostLink> {
    const key = JSON.stringify(['text' in source ? source.text : `file:${source.file}`, context ?? '']);
    let e = this.entries.get(key);
    if (!e) {
      const conn = HostConnection.connect(source, { context, userAgent: 'kubevisor-syncer' });
      const fresh: Entry = { conn, users: 0 };
      e = fresh;
      this.entries.set(key, fresh);
      conn.catch(() => { if (this.entries.get(key) === fresh && fresh.users === 0) this.entries.delete(key); });
    }
    e.users++;
    const entry = e;
    let conn: HostConnection;
    try {
      conn = await entry.conn;
    } catch (err) {
      this.drop(key, entry);
      throw err;
    }
    entry.informers ??= new HostInformers(conn);
    let released = false;
    return {
      key,
      conn,
      informers: entry.informers,
      release: () => {
        if (released) return;
        released = true;
        this.drop(key, entry);
      },
    };
  }

  private drop(key: string, e: Entry): void {
    if (--e.users > 0) return;
    if (this.entries.get(key) === e) this.entries.delete(key);
    e.informers?.stopAll();
    void e.conn.then((c) => c.close(), () => undefined);
  }

  closeAll(): void {
    for (const [key, e] of [...this.entries]) {
      e.users = 1;
      this.drop(key, e);
    }
  }
}
