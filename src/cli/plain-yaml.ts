// A YAML writer for plain JSON-shaped data (maps, lists, strings, numbers,
// booleans, null), in block style with double-quoted strings. It lets `up`
// write a kubeconfig without loading the full YAML library, which costs more
// than 10 MB of memory for the rest of the server's life.

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain | undefined };

function scalar(v: string | number | boolean | null): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function key(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? k : JSON.stringify(k);
}

function isEmpty(v: Plain): boolean {
  return Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}

function emit(v: Plain, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (typeof item === 'object' && item !== null && !isEmpty(item)) {
        const lines: string[] = [];
        emit(item, indent + '  ', lines);
        out.push(`${indent}- ${lines[0].slice(indent.length + 2)}`, ...lines.slice(1));
      } else {
        out.push(`${indent}- ${inline(item)}`);
      }
    }
    return;
  }
  if (typeof v === 'object' && v !== null) {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      if (typeof val === 'object' && val !== null && !isEmpty(val)) {
        out.push(`${indent}${key(k)}:`);
        emit(val, Array.isArray(val) ? indent : indent + '  ', out);
      } else {
        out.push(`${indent}${key(k)}: ${inline(val)}`);
      }
    }
    return;
  }
  out.push(indent + scalar(v));
}

function inline(v: Plain): string {
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object' && v !== null) return '{}';
  return scalar(v);
}

export function toPlainYaml(v: Plain): string {
  const out: string[] = [];
  emit(v, '', out);
  return out.join('\n') + '\n';
}
