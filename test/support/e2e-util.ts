// Small helpers shared by the apply, explain, CRD and helm-CRD end-to-end
// suites: table parsing, manifests on disk, managedFields, extra environment.

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import type { Kubevisor } from './kubevisor.ts';
import type { RunResult } from './kubectl.ts';

/** Header words of a printed table. */
export function header(out: string): string[] {
  return out.split('\n')[0].trim().split(/\s{2,}/);
}

/** The cells of the first table row that has a cell equal to `name`. */
export function rowOf(out: string, name: string): string[] | undefined {
  return out.split('\n').slice(1).map((l) => l.trim().split(/\s{2,}/)).find((cells) => cells.includes(name));
}

/**
 * The cells of the row whose first cell is `name`, cut at the header's column
 * offsets (kubectl aligns every cell under its header), so an empty cell reads
 * as '' instead of shifting the cells after it.
 */
export function cellsOf(out: string, name: string): string[] | undefined {
  const [head, ...rows] = out.split('\n');
  const starts = [...head.matchAll(/\S+(?: \S+)*/g)].map((m) => m.index);
  const row = rows.find((l) => l.split(/\s+/)[0] === name);
  if (row === undefined) return undefined;
  return starts.map((s, i) => row.slice(s, starts[i + 1] ?? row.length).trim());
}

/** Write `body` to `path` (creating its directory) and return the path. */
export function writeFile(path: string, body: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
  return path;
}

/** Run a binary with the suite's HOME and KUBECONFIG plus `env`. */
export function runWithEnv(kv: Kubevisor, bin: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(bin, args, {
      env: { PATH: process.env.PATH ?? '', HOME: kv.home, KUBECONFIG: kv.kubeconfig, ...env },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  apiVersion?: string;
  subresource?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  time?: string;
}

/** `kubectl get <ref> -o yaml --show-managed-fields`, parsed; its metadata.managedFields ([] when absent). */
export async function managedFields(k: { ok(args: string[]): Promise<string> }, args: string[]): Promise<ManagedFieldsEntry[]> {
  const obj = parse(await k.ok(['get', ...args, '-o', 'yaml', '--show-managed-fields']));
  return (obj?.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
}

/** `manager/operation[/subresource]` of each entry, sorted. */
export function managers(entries: ManagedFieldsEntry[]): string[] {
  return entries.map((e) => [e.manager, e.operation, ...(e.subresource ? [e.subresource] : [])].join('/')).sort();
}
