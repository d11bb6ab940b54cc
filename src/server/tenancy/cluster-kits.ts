// New clusters' directories made on a worker thread (cluster-kit-worker.ts): the
// cluster's client CA and first admin credentials (key pairs made ahead), its
// credentials file, and its database written from the bootstrap image's template with
// uids of its own. Creating clusters back to back then costs the main thread only a
// message each way; the worker runs on another core.
//
// Started on the first creation and ended after a minute without one, so an idle
// server holds no second thread.
import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteTemplate } from '../../storage/sqlite-template.ts';
import type { ClusterCredentials, RootClientCA } from './cluster-pki.ts';

export type KitRequest =
  | { readonly type: 'template'; readonly id: number; readonly template: SqliteTemplate | undefined }
  | { readonly type: 'make'; readonly id: number; readonly dir: string; readonly cluster: string; readonly template: number | undefined };

export type KitReply =
  | { readonly id: number; readonly made: false }
  | { readonly id: number; readonly error: string; readonly made?: undefined }
  | {
    readonly id: number;
    readonly made: true;
    readonly caCertPem: string;
    readonly caKeyPem: string;
    /** Admin credentials whose token's digest the credentials file holds. */
    readonly admin: ClusterCredentials;
    /** Set when the directory's state.db holds the template's image with these uids and time. */
    readonly db: { readonly uids: string[]; readonly time: string; readonly template: number } | undefined;
  };

export type Kit = Extract<KitReply, { made: true }>;

const IDLE_MS = 60_000;
const WORKER = new URL(`./cluster-kit-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export class ClusterKits {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve: (r: KitReply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private template: { id: number; t: SqliteTemplate | undefined } = { id: 0, t: undefined };
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly root: RootClientCA;

  constructor(root: RootClientCA) {
    this.root = root;
  }

  /** The template later kits' databases are made from (undefined: kits without a database); its id. */
  setTemplate(t: SqliteTemplate | undefined): number {
    if (this.template.t === t) return this.template.id;
    this.template = { id: this.template.id + 1, t };
    this.worker?.postMessage({ type: 'template', id: this.template.id, template: t } satisfies KitRequest);
    return this.template.id;
  }

  /**
   * Make cluster directory `dir` with new credentials, and its database when `template`
   * (an id from setTemplate) is still the worker's; undefined when `dir` exists.
   */
  async make(dir: string, cluster: string, template: number | undefined): Promise<Kit | undefined> {
    if (this.closed) throw new Error('cluster kits are closed');
    const reply = await this.request({ type: 'make', id: this.nextId++, dir, cluster, template });
    if (reply.made === undefined) throw new Error(`making cluster ${cluster}'s files: ${reply.error}`);
    return reply.made ? reply : undefined;
  }

  close(): void {
    this.closed = true;
    this.stopWorker(new Error('cluster kits are closed'));
  }

  private request(req: Extract<KitRequest, { type: 'make' }>): Promise<KitReply> {
    const w = this.start();
    clearTimeout(this.idleTimer);
    return new Promise<KitReply>((resolve, reject) => {
      this.waiting.set(req.id, { resolve, reject });
      w.postMessage(req);
    }).finally(() => {
      if (this.waiting.size === 0 && !this.closed) {
        clearTimeout(this.idleTimer);
        this.idleTimer = setTimeout(() => this.stopWorker(), IDLE_MS);
        this.idleTimer.unref();
      }
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER, { workerData: this.root });
    w.unref();
    w.on('message', (r: KitReply) => {
      const p = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      p?.resolve(r);
    });
    const fail = (e: Error) => { if (this.worker === w) this.stopWorker(e); };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`cluster kit worker exited with code ${code}`)));
    if (this.template.t) w.postMessage({ type: 'template', id: this.template.id, template: this.template.t } satisfies KitRequest);
    this.worker = w;
    return w;
  }

  private stopWorker(e: Error = new Error('cluster kit worker stopped')): void {
    clearTimeout(this.idleTimer);
    const w = this.worker;
    this.worker = undefined;
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
    void w?.terminate();
  }
}
