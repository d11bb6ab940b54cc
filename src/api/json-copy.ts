// Deep copies of JSON values (decoded API objects), about 3x faster than a
// JSON.stringify/JSON.parse round trip, with the same result: keys whose value
// is undefined are left out, undefined array items become null.

export function deepCopy<T>(v: T): T {
  return copy(v) as T;
}

function copy(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const a = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) a[i] = v[i] === undefined ? null : copy(v[i]);
    return a;
  }
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) continue;
    // A decoded "__proto__" key is an own property; plain assignment would set the prototype.
    if (k === '__proto__') Object.defineProperty(o, k, { value: copy(x), enumerable: true, writable: true, configurable: true });
    else o[k] = copy(x);
  }
  return o;
}
