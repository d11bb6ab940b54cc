// A diagnostic for benchmarks: with KUBEVISOR_HEAP_REPORT=FILE, SIGUSR2 makes the
// server collect garbage (when Node runs with --expose-gc) and write its memory
// figures to FILE as JSON. Nothing is installed without the variable.
import { writeFileSync } from 'node:fs';

export function installHeapReport(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.KUBEVISOR_HEAP_REPORT;
  if (!file) return;
  process.on('SIGUSR2', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    writeFileSync(file, JSON.stringify({ ...process.memoryUsage(), collected: gc !== undefined }));
  });
}
