// Server-side printing of custom resources (upstream's CRD table convertor): a
// Name column, then the version's additionalPrinterColumns, or an Age column
// when it declares none. Cells come from each column's JSONPath: strings
// printed as JSONPath prints them, integers/numbers/booleans as JSON values,
// dates as the age since the timestamp; nothing found is null.

import { JSONPath, NO_VALUE } from '../../api/jsonpath/index.ts';
import { isGoInt } from '../../api/jsonpath/values.ts';
import type { KubeObject } from '../../api/types.ts';
import { humanDuration, isZeroTime, parseTime } from '../tables/format.ts';
import type { TableCell, TableColumn, TableDef } from '../types.ts';

/** ObjectMeta's documentation of `name`, the Name column's description upstream. */
export const nameColumnDescription = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

/** ObjectMeta's documentation of `creationTimestamp`, the default Age column's description. */
export const creationTimestampDescription = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** One additionalPrinterColumns entry. */
export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The printer columns a CRD declares for a version (v1: per version), or the default Age column. */
export function printerColumnsFor(crd: KubeObject, version: string): PrinterColumn[] {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObj) : [];
  const v = versions.find((x) => x.name === version);
  const cols = v && Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns.filter(isObj) : [];
  if (cols.length === 0) {
    return [{ name: 'Age', type: 'date', description: creationTimestampDescription, jsonPath: '.metadata.creationTimestamp' }];
  }
  return cols.map((c) => {
    const col: PrinterColumn = { name: String(c.name ?? ''), type: String(c.type ?? ''), jsonPath: String(c.jsonPath ?? '') };
    if (typeof c.format === 'string') col.format = c.format;
    if (typeof c.description === 'string') col.description = c.description;
    if (typeof c.priority === 'number') col.priority = c.priority;
    return col;
  });
}

/** metav1.Time's UnmarshalQueryParameter then ConvertToHumanReadableDateType. */
function dateCell(s: string, now: Date): string {
  if (s === '' || s === 'null') return '<unknown>';
  const t = parseTime(s);
  if (t === undefined || s.includes(' ')) return '<invalid>';
  if (isZeroTime(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** upstream's cellForJSONValue for the non-string column types. */
function cellFor(type: string, value: unknown, now: Date): TableCell {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      if (typeof value === 'number') return isGoInt(value) ? value : Math.trunc(value);
      return null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'string':
      return typeof value === 'string' ? value : null;
    case 'date':
      return typeof value === 'string' ? dateCell(value, now) : null;
    default:
      return null;
  }
}

interface ParsedColumn { column: PrinterColumn; path: JSONPath }

/**
 * The table of custom resources printed with these columns. A column whose
 * JSONPath does not parse ends the list there, as upstream's convertor keeps
 * the columns it built before failing.
 */
export function tableForColumns(columns: readonly PrinterColumn[]): TableDef {
  const parsed: ParsedColumn[] = [];
  for (const column of columns) {
    let path: JSONPath;
    try {
      path = new JSONPath(column.name).parse(`{${column.jsonPath}}`).allowMissingKeys(true);
    } catch {
      break;
    }
    parsed.push({ column, path });
  }
  const tableColumns: TableColumn[] = [
    { name: 'Name', type: 'string', format: 'name', description: nameColumnDescription, priority: 0 },
    ...parsed.map(({ column: c }): TableColumn => ({
      name: c.name,
      type: c.type as TableColumn['type'],
      format: (c.format ?? '') as TableColumn['format'],
      description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: (c.priority ?? 0) as TableColumn['priority'],
    })),
  ];
  return {
    columns: tableColumns,
    cells(obj: KubeObject, now: Date): TableCell[] {
      const cells: TableCell[] = [obj.metadata?.name ?? ''];
      for (const { column, path } of parsed) {
        let results: unknown[][];
        try {
          results = path.findResults(obj);
        } catch {
          cells.push(null);
          continue;
        }
        if (results.length === 0 || results[0]!.length === 0) {
          cells.push(null);
          continue;
        }
        const value = results[0]![0];
        if (column.type === 'string') {
          try {
            cells.push(path.printResults([value === null || value === undefined ? NO_VALUE : value]));
          } catch {
            cells.push(null);
          }
        } else {
          cells.push(cellFor(column.type, value, now));
        }
      }
      return cells;
    },
  };
}

/** The table of one served version of a CRD. */
export function tableForCRDVersion(crd: KubeObject, version: string): TableDef {
  return tableForColumns(printerColumnsFor(crd, version));
}
