// Endpoints outside the resource API: version and health checks.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../api/errors.ts';
import type { VirtualCluster } from './cluster.ts';
import { writeObject } from './http/respond.ts';

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

export async function serveNonResource(cluster: VirtualCluster, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed(method, path);
  const clean = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  switch (clean) {
    case '/version':
      return writeObject(res, 200, cluster.version);
    case '/healthz': case '/livez': case '/readyz': {
      const failure = cluster.cache.failed;
      if (failure) return text(res, 500, `[-]etcd failed: ${failure.message}\n${clean.slice(1)} check failed`);
      if (req.url?.includes('verbose')) return text(res, 200, `[+]ping ok\n[+]etcd ok\n${clean.slice(1)} check passed\n`);
      return text(res, 200, 'ok');
    }
    case '/healthz/ping': case '/livez/ping': case '/readyz/ping':
      return text(res, 200, 'ok');
    case '/':
      return writeObject(res, 200, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/readyz', '/version'] });
    default:
      throw errors.pathNotFound();
  }
}
