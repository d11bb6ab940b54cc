// resource.k8s.io (dynamic resource allocation) tables.

import type { TableDef } from '../types.ts';
import { age, ageColumn, arr, column, nameColumn, nameOf, rec, str } from './format.ts';

export const deviceClassTable: TableDef = {
  columns: [nameColumn('Name of the device class.'), ageColumn()],
  cells: (obj, now) => [nameOf(obj), age(obj, now)],
};

export const resourceClaimTemplateTable: TableDef = {
  columns: [nameColumn(), ageColumn()],
  cells: (obj, now) => [nameOf(obj), age(obj, now)],
};

/** "pending", "allocated,reserved", "deleted,allocated", ... */
function claimState(obj: Parameters<TableDef['cells']>[0]): string {
  const states: string[] = [];
  const deleted = Boolean(obj.metadata.deletionTimestamp);
  const status = rec(obj.status);
  if (deleted) states.push('deleted');
  if (status.allocation === undefined || status.allocation === null) {
    if (!deleted) states.push('pending');
  } else {
    states.push('allocated');
    if (arr(status.reservedFor).length > 0) states.push('reserved');
  }
  return states.join(',');
}

export const resourceClaimTable: TableDef = {
  columns: [
    nameColumn(),
    column('State', 'string', 'Whether the claim is pending, allocated, reserved or being deleted.'),
    ageColumn(),
  ],
  cells: (obj, now) => [nameOf(obj), claimState(obj), age(obj, now)],
};

export const resourceSliceTable: TableDef = {
  columns: [
    nameColumn('Name of the resource slice.'),
    column('Node', 'string', 'Node whose devices the slice lists, if node-local.'),
    column('Driver', 'string', 'Driver that publishes the slice.'),
    column('Pool', 'string', 'Name of the device pool.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    return [nameOf(obj), str(spec.nodeName), str(spec.driver), str(rec(spec.pool).name), age(obj, now)];
  },
};
