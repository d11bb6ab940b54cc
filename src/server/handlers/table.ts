// Server-side printing: objects to meta.k8s.io Table, and partial object metadata.

import type { KubeObject } from '../../api/types.ts';
import type { ResourceDef, TableDef } from '../../registry/types.ts';
import type { Shape } from '../http/negotiate.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** The table of a kind with no printer of its own: its name and creation time. */
const fallbackTable: TableDef = {
  columns: [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
    { name: 'Created At', type: 'date', description: 'The time the object was created.', priority: 0 },
  ],
  cells: (o) => [o.metadata.name ?? '', o.metadata.creationTimestamp ?? ''],
};

let defaultTable: TableDef = fallbackTable;

/** Install the table used for kinds that declare none. */
export function setDefaultTable(t: TableDef): void {
  defaultTable = t;
}

function partial(obj: KubeObject, version: string): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

export function toTable(def: ResourceDef, objs: readonly KubeObject[], version: 'v1' | 'v1beta1', include: IncludeObject,
  listMeta: { resourceVersion?: string; continue?: string; remainingItemCount?: number }, withColumns = true): Record<string, unknown> {
  const table = def.table ?? defaultTable;
  const now = new Date();
  const rows = objs.map((o) => {
    const row: Record<string, unknown> = { cells: table.cells(o, now) };
    if (include === 'Metadata') row.object = partial(o, version);
    else if (include === 'Object') row.object = o;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMeta,
    columnDefinitions: withColumns ? table.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority })) : [],
    rows,
  };
}

/** Shape one object (GET) or a list for the response. */
export function shapeObject(def: ResourceDef, obj: KubeObject, shape: Shape, include: IncludeObject): unknown {
  switch (shape.kind) {
    case 'object': return obj;
    case 'table': return toTable(def, [obj], shape.version, include, { resourceVersion: obj.metadata.resourceVersion });
    case 'partial': return partial(obj, shape.version);
  }
}

export function shapeList(def: ResourceDef, list: { metadata: Record<string, unknown>; items: KubeObject[] }, fullList: unknown,
  shape: Shape, include: IncludeObject): unknown {
  switch (shape.kind) {
    case 'object': return fullList;
    case 'table': return toTable(def, list.items, shape.version, include, list.metadata);
    case 'partial':
      return { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${shape.version}`, metadata: list.metadata,
        items: list.items.map((o) => partial(o, shape.version)) };
  }
}
