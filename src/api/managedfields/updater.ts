// The core of field ownership (structured-merge-diff's Updater): recording who changed
// which fields on an ordinary write, and merging an applied configuration with conflict
// detection and removal of fields an applier stopped applying.
//
// Objects are compared in one version: managers whose entries name another apiVersion
// are compared with the same paths (there is no conversion between versions here).
import type { JsonObject, JsonValue } from '../types.ts';
import { jsonEqual } from '../patch/json-values.ts';
import type { TypeRef } from './atoms.ts';
import { FieldSet } from './fieldpath.ts';
import { ConflictsError, conflictsFromManagers } from './managers.ts';
import type { Managed, VersionedSet } from './managers.ts';
import { compare, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet } from './typed.ts';
import type { Comparison } from './typed.ts';

function filterComparison(c: Comparison, reset: FieldSet | undefined): Comparison {
  if (!reset || reset.isEmpty()) return c;
  return {
    added: c.added.recursiveDifference(reset),
    modified: c.modified.recursiveDifference(reset),
    removed: c.removed.recursiveDifference(reset),
  };
}

/**
 * Takes changed fields away from every manager but `workflow`: fields another manager
 * owns that this write modified or added are conflicts (an error unless `force`), and
 * removed fields are dropped from every manager. Returns the new sets and the comparison.
 */
function update(
  live: JsonValue | undefined, next: JsonValue | undefined, tr: TypeRef, fields: Map<string, VersionedSet>,
  workflow: string, force: boolean, reset: FieldSet | undefined,
): { fields: Map<string, VersionedSet>; cmp: Comparison } {
  const cmp = filterComparison(compare(live, next, tr), reset);
  const changed = cmp.modified.union(cmp.added);
  const conflicts = new Map<string, FieldSet>();
  const out = new Map(fields);
  for (const [manager, vs] of fields) {
    if (manager === workflow) continue;
    const c = vs.set.intersection(changed);
    if (!c.isEmpty()) conflicts.set(manager, c);
  }
  if (!force && conflicts.size > 0) throw new ConflictsError(conflictsFromManagers(conflicts));
  for (const [manager, vs] of fields) {
    if (manager === workflow) continue;
    let set = vs.set;
    const c = conflicts.get(manager);
    if (c) set = set.difference(c);
    if (!cmp.removed.isEmpty()) set = set.difference(cmp.removed);
    if (set !== vs.set) out.set(manager, { ...vs, set });
  }
  for (const [manager, vs] of out) if (vs.set.isEmpty()) out.delete(manager);
  return { fields: out, cmp };
}

/**
 * An ordinary write (create, update, patch): `manager` gains the fields this write
 * added or changed and loses removed ones; other managers lose changed fields.
 */
export function updaterUpdate(
  live: JsonValue | undefined, next: JsonValue, tr: TypeRef, apiVersion: string, managed: Managed,
  manager: string, reset: FieldSet | undefined,
): Managed {
  const { fields, cmp } = update(live, next, tr, managed.fields, manager, true, reset);
  const prev = fields.get(manager)?.set ?? new FieldSet();
  let set = prev.difference(cmp.removed).union(cmp.modified).union(cmp.added);
  if (reset && !reset.isEmpty()) set = set.recursiveDifference(reset);
  if (set.isEmpty()) fields.delete(manager);
  else fields.set(manager, { set, apiVersion, applied: false });
  return { fields, times: managed.times };
}

export interface ApplyOutcome {
  /** The merged object; undefined when it equals the live object. */
  object: JsonObject | undefined;
  managed: Managed;
}

/**
 * Merges an applied configuration into the live object for `manager`. Throws
 * ConflictsError when the apply changes fields other managers own (unless `force`).
 */
export function updaterApply(
  live: JsonObject, config: JsonObject, tr: TypeRef, apiVersion: string, managed: Managed,
  manager: string, force: boolean, reset: FieldSet | undefined,
): ApplyOutcome {
  const merged = (merge(live, config, tr) ?? {}) as JsonObject;
  const lastSet = managed.fields.get(manager);
  let set = toFieldSet(config, tr);
  if (reset && !reset.isEmpty()) set = set.recursiveDifference(reset);
  const fields = new Map(managed.fields);
  fields.set(manager, { set, apiVersion, applied: true });
  const pruned = prune(merged, fields, lastSet, tr);
  const result = update(live, pruned, tr, fields, manager, force, reset);
  const object = jsonEqual(live, pruned) ? undefined : pruned;
  return { object, managed: { fields: result.fields, times: managed.times } };
}

/**
 * Removes fields that the applier set last time, does not set now, and no other
 * manager (applier or updater) owns.
 */
function prune(merged: JsonObject, fields: Map<string, VersionedSet>, last: VersionedSet | undefined, tr: TypeRef): JsonObject {
  if (!last || last.set.isEmpty()) return merged;
  const named = (s: FieldSet) => ensureNamedFieldsAreMembers(s, tr);
  const asObject = (v: JsonValue): JsonObject => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {});
  const lastNamed = named(last.set);
  let pruned = asObject(removeItems(merged, lastNamed, tr));
  // Add back what anyone (the applier's new configuration included) owns.
  let managedAll = new FieldSet();
  for (const vs of fields.values()) managedAll = managedAll.union(vs.set);
  const mergedSet = named(toFieldSet(merged, tr));
  pruned = asObject(removeItems(merged, mergedSet.difference(named(toFieldSet(pruned, tr)).union(named(managedAll))), tr));
  // Only what the applier owned last time may go.
  const prunedSet = named(toFieldSet(pruned, tr));
  return asObject(removeItems(merged, mergedSet.difference(prunedSet).intersection(lastNamed), tr));
}
