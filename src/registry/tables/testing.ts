// Small builders shared by the table tests.

import type { KubeObject, ObjectMeta } from '../../api/types.ts';
import type { TableDef } from '../types.ts';

export const NOW = new Date('2024-05-01T12:00:00Z');

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** RFC 3339 time `ms` before NOW. */
export function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString().replace(/\.000Z$/, 'Z');
}

/** An object created `createdAgo` before NOW, with extra top-level fields. */
export function obj(name: string, createdAgo: number, fields: Record<string, unknown> = {}, meta: ObjectMeta = {}): KubeObject {
  return {
    metadata: { name, namespace: 'default', creationTimestamp: ago(createdAgo), ...meta },
    ...fields,
  };
}

/** Column names and priorities, e.g. ["Name", "Ready", "IP*"] where * marks -o wide. */
export function header(table: TableDef): string[] {
  return table.columns.map((c) => (c.priority === 1 ? `${c.name}*` : c.name));
}

/** The cells of the columns kubectl shows without -o wide. */
export function narrow(table: TableDef, o: KubeObject): unknown[] {
  const cells = table.cells(o, NOW);
  return cells.filter((_, i) => table.columns[i]!.priority === 0);
}
