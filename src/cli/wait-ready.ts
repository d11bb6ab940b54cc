// Waiting until a freshly started server answers GET /readyz with 200, over
// TLS, as the admin: proof that what goes into the kubeconfig works.
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ClientTls {
  /** PEM CA the server certificate must chain to. */
  readonly ca: string;
  /** PEM client certificate and key. */
  readonly cert: string;
  readonly key: string;
}

function probe(url: URL, tls: ClientTls): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ...tls, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5s')));
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once `${baseUrl}/readyz` answers 200; rejects after `timeoutMs`. */
export async function waitUntilReady(baseUrl: string, tls: ClientTls, timeoutMs = 30_000): Promise<void> {
  const url = new URL('/readyz', baseUrl);
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    let problem: string;
    try {
      const status = await probe(url, tls);
      if (status === 200) return;
      problem = `GET /readyz answered ${status}`;
    } catch (err) {
      problem = (err as Error).message;
    }
    if (Date.now() + delay > deadline) {
      throw new Error(`${baseUrl} did not become ready within ${Math.round(timeoutMs / 1000)}s (${problem})`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 250);
  }
}
