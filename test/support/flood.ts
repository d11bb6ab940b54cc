// A request flood from a process of its own: `node flood.ts KUBECONFIG PATH CONCURRENCY SECONDS`
// sends GET PATH with CONCURRENCY requests always in flight, then prints
// {"sent":N,"ok":N,"throttled":N} on stdout. A 429 is retried after its
// Retry-After, as client-go retries it.

import { Client } from './client.ts';

const [kubeconfig, path, concurrencyText, secondsText] = process.argv.slice(2) as [string, string, string, string];
const c = new Client(kubeconfig);
const end = Date.now() + Number(secondsText) * 1000;
const counts = { sent: 0, ok: 0, throttled: 0 };
async function worker(): Promise<void> {
  while (Date.now() < end) {
    counts.sent++;
    const r = await c.request('GET', path);
    if (r.status === 200) counts.ok++;
    else if (r.status === 429) {
      counts.throttled++;
      const after = Number(r.headers['retry-after'] ?? 1);
      await new Promise((resolve) => setTimeout(resolve, Math.min(after * 1000, end - Date.now())));
    }
  }
}
await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
c.close();
process.stdout.write(JSON.stringify(counts) + '\n');
