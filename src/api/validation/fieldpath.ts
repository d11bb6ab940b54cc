// Field paths in upstream notation: `spec.containers[0].name`, `metadata.labels[app]`.

/** `base.name` (or just `name` at the root). */
export function child(base: string, ...names: string[]): string {
  let p = base;
  for (const n of names) p = p === '' ? n : `${p}.${n}`;
  return p;
}

/** `base[i]`. */
export function index(base: string, i: number): string {
  return `${base}[${i}]`;
}

/** `base[key]` (map keys are printed bare, as upstream does). */
export function key(base: string, k: string): string {
  return `${base}[${k}]`;
}
