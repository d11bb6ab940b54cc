// How Go prints the JSON values a Kubernetes server holds (decoded the way
// unstructured objects are: integers as int64, other numbers as float64):
// fmt's %v, encoding/json's Marshal (sorted keys, HTML escaping) and the type
// names that appear in error messages.

/** A JSON number Go would hold as an int64 (an integral value within range). */
export function isGoInt(v: number): boolean {
  return Number.isInteger(v) && Math.abs(v) < 2 ** 63;
}

/**
 * A float64 as fmt's %v prints it (strconv's 'g' with the shortest digits): %e
 * form when the decimal exponent is below -4 or at least 6 (`1e+06`,
 * `1.234567e+06`, `1e-05`), plain otherwise (`123456.5`, `0.0001`).
 */
export function goFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const neg = f < 0;
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(f).toExponential());
  if (!m) return String(f);
  const digits = m[1]! + (m[2] ?? '');
  const exp = Number(m[3]);
  let out: string;
  const eprec = 6;
  if (exp < -4 || exp >= eprec) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    out = `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = digits + '0'.repeat(exp + 1 - digits.length);
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${out}` : out;
}

/** A number as Go prints it with %v: int64 values plainly, float64 values as goFloat. */
export function goNumber(v: number): string {
  return isGoInt(v) ? (Number.isSafeInteger(v) ? String(v) : BigInt(v).toString()) : goFloat(v);
}

function escapeGoJSONString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** encoding/json's Marshal of a decoded JSON value: object keys sorted, <>& escaped. */
export function goJSON(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return escapeGoJSONString(v);
  if (typeof v === 'number') return isGoInt(v) ? goNumber(v) : JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(goJSON).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${escapeGoJSONString(k)}:${goJSON(o[k])}`).join(',')}}`;
  }
  return 'null';
}

/** encoding/json's MarshalIndent with the given indent (prefix ""). */
export function goJSONIndent(v: unknown, indent: string, depth = 0): string {
  const pad = indent.repeat(depth + 1), end = indent.repeat(depth);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => pad + goJSONIndent(x, indent, depth + 1)).join(',\n')}\n${end}]`;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${pad}${escapeGoJSONString(k)}: ${goJSONIndent(o[k], indent, depth + 1)}`).join(',\n')}\n${end}}`;
  }
  return goJSON(v);
}

/** fmt's %v of a decoded JSON value: `map[a:1 b:[x y]]`, `<nil>`, plain strings. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    return `map[${keys.map((k) => `${k}:${goValue(o[k])}`).join(' ')}]`;
  }
  return String(v);
}

/** The Go type of a decoded JSON value, as %T and reflect print it. */
export function goTypeOf(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return isGoInt(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}
