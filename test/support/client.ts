// A raw HTTPS client for tests, authenticated with a kubeconfig's credentials.

import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): any;
}

export interface RequestOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Send no credentials at all. */
  anonymous?: boolean;
}

export class Client {
  readonly server: string;
  private readonly agent: Agent;
  private readonly anonAgent: Agent;
  private readonly token: string | undefined;

  /** Credentials and server of `context`, by default the kubeconfig's current context. */
  constructor(kubeconfigPath: string, context?: string) {
    const kc = parse(readFileSync(kubeconfigPath, 'utf8'));
    const ctxName = context ?? kc['current-context'];
    const ctx = kc.contexts.find((c: any) => c.name === ctxName).context;
    const cluster = kc.clusters.find((c: any) => c.name === ctx.cluster).cluster;
    const user = kc.users.find((u: any) => u.name === ctx.user).user;
    this.server = cluster.server;
    const ca = Buffer.from(cluster['certificate-authority-data'], 'base64');
    const cert = user['client-certificate-data'] ? Buffer.from(user['client-certificate-data'], 'base64') : undefined;
    const key = user['client-key-data'] ? Buffer.from(user['client-key-data'], 'base64') : undefined;
    this.token = user.token;
    this.agent = new Agent({ ca, cert, key, keepAlive: true });
    this.anonAgent = new Agent({ ca, keepAlive: true });
  }

  request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = new URL(this.server.replace(/\/$/, '') + path);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (this.token && !opts.anonymous) headers.Authorization = `Bearer ${this.token}`;
    if (opts.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: opts.anonymous ? this.anonAgent : this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (opts.body !== undefined) req.write(opts.body);
      req.end();
    });
  }

  /** A request with a JSON body (when given); the answer's status, text and JSON (`{}` when it is not JSON). */
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
    const r = await this.request(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    const text = r.body.toString('utf8');
    let json: any = {};
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json, text };
  }

  close(): void {
    this.agent.destroy();
    this.anonAgent.destroy();
  }
}
