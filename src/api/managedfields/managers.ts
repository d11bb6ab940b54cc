// managedFields entries as upstream reads and writes them. Inside, each entry is keyed
// by a "manager identifier": the JSON of the entry's manager, operation, apiVersion
// (for Update entries only) and subresource. So an Apply entry and an Update entry of
// one manager are separate, Update entries of one manager are separate per
// apiVersion, and an applier keeps one entry whatever version it applies.
import type { JsonObject, ManagedFieldsEntry } from '../types.ts';
import { ApiError } from '../errors.ts';
import type { StatusCause } from '../errors.ts';
import { compareUtf8, goJsonMarshal, goQuote } from '../decode/go-text.ts';
import { isJsonObject } from '../patch/json-values.ts';
import { FieldSet, pathString } from './fieldpath.ts';
import type { Path } from './fieldpath.ts';

export interface VersionedSet {
  readonly set: FieldSet;
  readonly apiVersion: string;
  readonly applied: boolean;
}

/** Decoded managedFields: sets and times by manager identifier, in entry order. */
export interface Managed {
  fields: Map<string, VersionedSet>;
  /** RFC 3339 times (seconds); absent when the entry has none. */
  times: Map<string, string | undefined>;
}

export function emptyManaged(): Managed {
  return { fields: new Map(), times: new Map() };
}

export function copyManaged(m: Managed): Managed {
  return { fields: new Map(m.fields), times: new Map(m.times) };
}

export interface ManagerInfo {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  subresource?: string;
}

/** The identifier of a manager (upstream BuildManagerIdentifier). */
export function managerIdentifier(e: ManagerInfo): string {
  const parts: string[] = [];
  if (e.manager) parts.push(`"manager":${goJsonMarshal(e.manager)}`);
  if (e.operation) parts.push(`"operation":${goJsonMarshal(e.operation)}`);
  if (e.apiVersion && e.operation !== 'Apply') parts.push(`"apiVersion":${goJsonMarshal(e.apiVersion)}`);
  if (e.subresource) parts.push(`"subresource":${goJsonMarshal(e.subresource)}`);
  return `{${parts.join(',')}}`;
}

// Identifiers are few (one per manager, operation, version and subresource): parsed once.
const parsedIds = new Map<string, Readonly<ManagerInfo>>();

export function parseIdentifier(id: string): ManagerInfo {
  let info = parsedIds.get(id);
  if (!info) {
    info = Object.freeze(parseIdentifierText(id));
    if (parsedIds.size >= 1000) parsedIds.clear();
    parsedIds.set(id, info);
  }
  return info;
}

function parseIdentifierText(id: string): ManagerInfo {
  try {
    const v = JSON.parse(id) as unknown;
    if (!isJsonObject(v)) return {};
    const s = (k: string) => (typeof v[k] === 'string' ? v[k] as string : undefined);
    return { manager: s('manager'), operation: s('operation'), apiVersion: s('apiVersion'), subresource: s('subresource') };
  } catch {
    return {};
  }
}

/** A managedFields list that cannot be decoded. */
export class ManagedFieldsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManagedFieldsError';
  }
}

/** Go's %v of an entry, for error texts (approximate). */
function entryText(e: ManagedFieldsEntry): string {
  return `{${e.manager ?? ''} ${e.operation ?? ''} ${e.apiVersion ?? ''} ${e.time ?? 'nil'} ${e.fieldsType ?? ''} ${e.fieldsV1 ? '&FieldsV1{...}' : 'nil'} ${e.subresource ?? ''}}`;
}

const CANONICAL_TIME = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;

/** RFC 3339 in UTC with whole seconds, as metav1.Time marshals. */
export function formatTime(t: Date | string): string {
  // Already in that form (as every stored entry is): nothing to parse.
  if (typeof t === 'string' && CANONICAL_TIME.test(t)) return t;
  const d = typeof t === 'string' ? new Date(t) : t;
  const ms = d.getTime();
  if (Number.isNaN(ms)) return String(t);
  // Every write stamps the time: the text is made once per second.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = d.toISOString().replace(/\.\d+Z$/, 'Z');
  }
  return lastText;
}

let lastSecond = Number.NaN;
let lastText = '';

function timeSeconds(t: string | undefined): number {
  if (t === undefined) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** Decodes managedFields (upstream DecodeManagedFields). Throws ManagedFieldsError. */
export function decodeManagedFields(entries: readonly ManagedFieldsEntry[] | undefined | null): Managed {
  const out = emptyManaged();
  (entries ?? []).forEach((e, i) => {
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new ManagedFieldsError('operation must be `Apply` or `Update`');
    if (!e.apiVersion) throw new ManagedFieldsError('apiVersion must not be empty');
    if (e.fieldsType === undefined || (e.fieldsType as string) === '') throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new ManagedFieldsError(`invalid fieldsType ${goQuote(String(e.fieldsType))} in managed fields entry ${i}`);
    const id = managerIdentifier(e);
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(e.fieldsV1 ?? {});
    } catch (err) {
      throw new ManagedFieldsError(`error decoding versioned set from ${entryText(e)}: error decoding set: ${(err as Error).message}`);
    }
    out.fields.set(id, { set, apiVersion: e.apiVersion, applied: e.operation === 'Apply' });
    out.times.set(id, e.time === undefined || e.time === null ? undefined : formatTime(e.time));
  });
  return out;
}

/** Encodes managed fields, sorted as upstream sorts them; undefined when there are none. */
export function encodeManagedFields(m: Managed): ManagedFieldsEntry[] | undefined {
  if (m.fields.size === 0) return undefined;
  const list: ManagedFieldsEntry[] = [];
  for (const [id, vs] of m.fields) {
    const info = parseIdentifier(id);
    const e: ManagedFieldsEntry = {};
    if (info.manager) e.manager = info.manager;
    const op = vs.applied ? 'Apply' : info.operation;
    if (op) e.operation = op as 'Apply' | 'Update';
    if (vs.apiVersion) e.apiVersion = vs.apiVersion;
    const t = m.times.get(id);
    if (t !== undefined) e.time = t;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = vs.set.toFieldsV1();
    if (info.subresource) e.subresource = info.subresource;
    list.push(e);
  }
  return sortManagedFields(list);
}

/** Upstream's order: Apply before Update, then by time, manager, apiVersion, subresource. */
export function sortManagedFields(list: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  const cmp = (a = '', b = '') => compareUtf8(a, b);
  return list.sort((p, q) => {
    if (p.operation !== q.operation) return cmp(p.operation, q.operation);
    const ps = timeSeconds(p.time);
    const qs = timeSeconds(q.time);
    if (ps !== qs) return ps - qs;
    return cmp(p.manager, q.manager) || cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource, q.subresource);
  });
}

/** A `managedFields` value that asks to reset tracking: `[]`, or one empty entry. */
export function isResetManagedFields(mf: unknown): boolean {
  if (!Array.isArray(mf)) return false;
  if (mf.length === 0) return true;
  if (mf.length !== 1 || !isJsonObject(mf[0])) return false;
  return Object.values(mf[0] as JsonObject).every((v) => v === null || v === '');
}

// ---- conflicts -------------------------------------------------------------------------

export interface Conflict {
  /** The manager identifier. */
  manager: string;
  path: Path;
}

/** How a conflicting manager is named in messages: `"mgr"`, `"mgr" using apps/v1`. */
export function printManager(id: string): string {
  let info: ManagerInfo;
  try {
    const v = JSON.parse(id) as unknown;
    if (!isJsonObject(v)) return goQuote(id);
    info = parseIdentifier(id);
  } catch {
    return goQuote(id);
  }
  let s = goQuote(info.manager ?? '');
  if (info.subresource) s += ` with subresource ${goQuote(info.subresource)}`;
  if (info.operation === 'Update') s += ` using ${info.apiVersion ?? ''}`;
  return s;
}

/** Conflicts of the managers' sets, grouped by manager in identifier order. */
export function conflictsFromManagers(sets: Map<string, FieldSet>): Conflict[] {
  const out: Conflict[] = [];
  for (const id of [...sets.keys()].sort(compareUtf8)) {
    for (const path of sets.get(id)!.paths()) out.push({ manager: id, path });
  }
  return out;
}

/** The message upstream gives a failed apply. */
export function conflictMessage(conflicts: readonly Conflict[]): string {
  if (conflicts.length === 1) {
    return `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.path)}`;
  }
  const byManager = new Map<string, Path[]>();
  for (const c of conflicts) {
    const l = byManager.get(c.manager);
    if (l) l.push(c.path);
    else byManager.set(c.manager, [c.path]);
  }
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort(compareUtf8)) {
    lines.push(`conflicts with ${printManager(m)}:`);
    for (const p of byManager.get(m)!) lines.push(`- ${pathString(p)}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** The 409 of a failed apply, with one FieldManagerConflict cause per field. */
export function conflictError(conflicts: readonly Conflict[]): ApiError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathString(c.path),
  }));
  return new ApiError(409, 'Conflict', conflictMessage(conflicts), { causes });
}

/** Conflicts raised while applying; turned into the 409 by the field manager. */
export class ConflictsError extends Error {
  readonly conflicts: Conflict[];
  constructor(conflicts: Conflict[]) {
    super(conflictMessage(conflicts));
    this.name = 'ConflictsError';
    this.conflicts = conflicts;
  }
}
