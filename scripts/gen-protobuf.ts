// Derives src/api/protobuf/schema.generated.json from the upstream API reference
// in ../shared/k8s-api: every generated.proto (field numbers and types) and
// openapi-v2.json (JSON names, inline fields, group/version/kinds),
// plus scripts/gen-protobuf-go-fields.json (made by gen-protobuf-go-fields.ts from
// the Go struct tags of the same upstream commits): which fields are pointers and
// which are omitempty, the facts that decide which zero values Go's JSON keeps.
// Only structure is written out, never descriptions or comments.
//
//   npx node scripts/gen-protobuf.ts [--verbose]
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const sharedRoot = join(repoRoot, '..', 'shared', 'k8s-api');
const protoRoot = join(sharedRoot, 'proto');
const outFile = join(repoRoot, 'src', 'api', 'protobuf', 'schema.generated.json');
const goFieldsFile = join(repoRoot, 'scripts', 'gen-protobuf-go-fields.json');
const verbose = process.argv.includes('--verbose');

// ---------------------------------------------------------------------------
// proto2 parsing (the subset go-to-protobuf emits: top-level messages only)

interface ProtoField {
  label: 'optional' | 'repeated';
  type: string; // unresolved as written; for maps the value type
  mapKey?: string;
  name: string;
  number: number;
  comments: string[];
}

interface ProtoMessage {
  fullName: string; // e.g. k8s.io.api.core.v1.Pod
  pkg: string; // e.g. k8s.io.api.core.v1
  name: string;
  fields: ProtoField[]; // in file order, which is Go struct (and JSON) order
  comments: string[];
}

const scalarTypes = new Set([
  'double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes',
]);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function parseProtoFile(path: string, messages: Map<string, ProtoMessage>): void {
  const file = relative(protoRoot, path);
  const text = readFileSync(path, 'utf8');
  let pkg = '';
  let current: ProtoMessage | undefined;
  let comments: string[] = [];
  let inBlockComment = false;
  const fail = (lineNo: number, why: string): never => {
    throw new Error(`${file}:${lineNo + 1}: ${why}`);
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (inBlockComment) {
      if (line.includes('*/')) inBlockComment = false;
      continue;
    }
    if (line.startsWith('/*')) {
      if (!line.includes('*/')) inBlockComment = true;
      continue;
    }
    if (line.startsWith('//')) {
      comments.push(line.slice(2).trim());
      continue;
    }
    const commentAt = line.indexOf('//');
    if (commentAt >= 0) line = line.slice(0, commentAt).trim();
    if (line === '') {
      comments = [];
      continue;
    }
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^syntax\s*=\s*"(\w+)"\s*;$/))) {
      if (m[1] !== 'proto2') fail(i, `unsupported syntax ${m[1]}`);
    } else if ((m = line.match(/^package\s+([\w.]+)\s*;$/))) {
      pkg = m[1]!;
    } else if ((m = line.match(/^import\s+"([^"]+)"\s*;$/))) {
      try {
        statSync(join(protoRoot, m[1]!));
      } catch {
        fail(i, `import ${m[1]} not found`);
      }
    } else if (/^option\s+[\w.()]+\s*=\s*"[^"]*"\s*;$/.test(line)) {
      // go_package and the like: irrelevant to the wire format
    } else if ((m = line.match(/^message\s+(\w+)\s*\{$/))) {
      if (current) fail(i, 'nested messages are not supported');
      if (!pkg) fail(i, 'message before package');
      current = { fullName: `${pkg}.${m[1]}`, pkg, name: m[1]!, fields: [], comments };
    } else if (line === '}') {
      if (!current) fail(i, 'unbalanced }');
      if (messages.has(current!.fullName)) fail(i, `duplicate message ${current!.fullName}`);
      messages.set(current!.fullName, current!);
      current = undefined;
    } else if (
      (m = line.match(/^(optional|repeated)\s+(?:map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>|([\w.]+))\s+(\w+)\s*=\s*(\d+)\s*;$/)) ||
      (m = line.match(/^()map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;$/))
    ) {
      if (!current) fail(i, 'field outside a message');
      let field: ProtoField;
      if (m.length === 7) {
        const [, label, key, value, plain, name, num] = m;
        if (key && label === 'repeated') fail(i, 'repeated map');
        field = key
          ? { label: 'repeated', type: value!, mapKey: key, name: name!, number: Number(num), comments }
          : { label: label as 'optional' | 'repeated', type: plain!, name: name!, number: Number(num), comments };
      } else {
        const [, , key, value, name, num] = m;
        field = { label: 'repeated', type: value!, mapKey: key, name: name!, number: Number(num), comments };
      }
      if (field.mapKey !== undefined && !scalarTypes.has(field.mapKey)) fail(i, `map key ${field.mapKey}`);
      current!.fields.push(field);
    } else {
      fail(i, `unsupported proto syntax: ${line}`);
    }
    comments = [];
  }
  if (current) throw new Error(`${file}: unterminated message ${current.name}`);
}

const protoMessages = new Map<string, ProtoMessage>();
for (const path of walk(protoRoot).filter((p) => p.endsWith('.proto')).sort()) parseProtoFile(path, protoMessages);

function resolveType(type: string, pkg: string): string {
  if (scalarTypes.has(type)) return type;
  const full = type.startsWith('.') ? type.slice(1) : `${pkg}.${type}`;
  if (!protoMessages.has(full)) throw new Error(`unresolved type ${type} in ${pkg}`);
  return full;
}

// ---------------------------------------------------------------------------
// OpenAPI facts

interface OpenApiDef {
  type?: string;
  format?: string;
  properties?: Record<string, unknown>;
  required?: string[];
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}
const openapi = JSON.parse(readFileSync(join(sharedRoot, 'openapi-v2.json'), 'utf8')) as {
  definitions: Record<string, OpenApiDef>;
};
const defs = openapi.definitions;

/** io.k8s.api.core.v1.Pod <-> k8s.io.api.core.v1.Pod */
const defNameOf = (protoName: string): string => protoName.replace(/^k8s\.io\./, 'io.k8s.');

/** Definitions by short name, for proto messages of versions the OpenAPI no longer serves. */
const defsByShortName = new Map<string, string[]>();
for (const name of Object.keys(defs)) {
  const short = name.slice(name.lastIndexOf('.') + 1);
  defsByShortName.set(short, [...(defsByShortName.get(short) ?? []), name]);
}

/** The OpenAPI definition describing this message's JSON: its own, else the same kind of another version. */
function jsonDefFor(msg: ProtoMessage): { name: string; def: OpenApiDef; own: boolean } | undefined {
  const own = defs[defNameOf(msg.fullName)];
  if (own) return { name: defNameOf(msg.fullName), def: own, own: true };
  const candidates = defsByShortName.get(msg.name) ?? [];
  // Prefer another version of the same package (apps/v1beta1 -> apps/v1), then any package.
  const samePkg = defNameOf(msg.pkg).replace(/\.v\w+$/, '.');
  const pick = candidates.find((c) => c.startsWith(samePkg)) ?? candidates.find((c) => c.startsWith('io.k8s.api.'));
  return pick ? { name: pick, def: defs[pick]!, own: false } : undefined;
}

// ---------------------------------------------------------------------------
// Well-known messages whose JSON is not an object of their fields.

type Special = 'time' | 'microtime' | 'duration' | 'quantity' | 'intorstring' | 'rawextension' | 'fieldsv1' | 'stringlist';

const markerValue = (comments: string[], marker: string): string | undefined =>
  comments.find((c) => c.startsWith(marker + '='))?.slice(marker.length + 1);

function specialOf(msg: ProtoMessage): Special | undefined {
  const name = msg.fullName.replace(/^k8s\.io\.apimachinery\.pkg\./, '');
  // Time and MicroTime are both marshalled as a Timestamp; they differ only in JSON precision.
  if (markerValue(msg.comments, '+protobuf.as') === 'Timestamp') {
    if (name === 'apis.meta.v1.Time') return 'time';
    if (name === 'apis.meta.v1.MicroTime') return 'microtime';
    throw new Error(`unknown Timestamp type ${msg.fullName}`);
  }
  if (markerValue(msg.comments, '+protobuf.embed') === 'string') return 'quantity';
  // Named []string types (ExtraValue, Verbs, ...) are wrapped in a message with one repeated field.
  if (markerValue(msg.comments, '+protobuf.nullable') === 'true') {
    const [only] = msg.fields;
    if (msg.fields.length !== 1 || only!.label !== 'repeated' || only!.type !== 'string' || only!.mapKey) {
      throw new Error(`unexpected nullable wrapper ${msg.fullName}`);
    }
    return 'stringlist';
  }
  switch (name) {
    case 'apis.meta.v1.Duration': return 'duration';
    case 'util.intstr.IntOrString': return 'intorstring';
    case 'runtime.RawExtension': return 'rawextension';
    case 'apis.meta.v1.FieldsV1': return 'fieldsv1';
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Field facts

interface FieldOut {
  number: number;
  protoName: string;
  jsonName: string;
  type: string; // scalar type or referenced message key
  mapKey?: string;
  repeated: boolean;
  inline: boolean;
  required: boolean;
  emitZero: boolean;
  absentZero: boolean;
  absentNull: boolean;
  omitZero: boolean;
}

const shortKey = (fullName: string): string => fullName.replace(/^k8s\.io\./, '');

/** Go struct field shapes by message key and field number: p|v (nil-able or value), e (omitempty), z (omitzero). */
const goFieldsJson = JSON.parse(readFileSync(goFieldsFile, 'utf8')) as {
  about: { commits: Record<string, string> };
  messages: Record<string, Record<string, string>>;
};
{
  // They must describe the Go types of the commits ../shared has the protos of.
  const readme = readFileSync(join(sharedRoot, 'README.md'), 'utf8');
  for (const [repo, commit] of Object.entries(goFieldsJson.about.commits)) {
    if (!readme.includes(`kubernetes/${repo}, commit ${commit} `)) {
      throw new Error(`${relative(repoRoot, goFieldsFile)} is of kubernetes/${repo} ${commit}, not the commit ../shared/k8s-api/README.md names: rerun scripts/gen-protobuf-go-fields.ts`);
    }
  }
}
const goFields = goFieldsJson.messages;
/** How many fields each presence rule decided, for the summary line. */
const ruleCounts = new Map<string, number>();
const countRule = (rule: string): void => void ruleCounts.set(rule, (ruleCounts.get(rule) ?? 0) + 1);

const specials = new Map<string, Special>();
for (const msg of protoMessages.values()) {
  const s = specialOf(msg);
  if (s) specials.set(msg.fullName, s);
}

/** JSON names a message contributes to the object it appears in (inline fields flattened). */
const flatNamesCache = new Map<string, Set<string>>();
function flatJsonNames(fullName: string): Set<string> {
  const cached = flatNamesCache.get(fullName);
  if (cached) return cached;
  const out = new Set<string>();
  flatNamesCache.set(fullName, out);
  for (const f of resolveFields(protoMessages.get(fullName)!)) {
    if (f.inline) for (const n of flatJsonNames(f.type)) out.add(n);
    else out.add(f.jsonName);
  }
  return out;
}

/** (proto field name, type) pairs seen inline in OpenAPI-described messages; used where no OpenAPI exists. */
const knownInline = new Set<string>();
const inlineKey = (fieldName: string, type: string): string => `${fieldName} ${type.slice(type.lastIndexOf('.') + 1)}`;
const decisions: string[] = [];
const resolvedCache = new Map<string, FieldOut[]>();

function resolveFields(msg: ProtoMessage): FieldOut[] {
  const cached = resolvedCache.get(msg.fullName);
  if (cached) return cached;
  const out: FieldOut[] = [];
  resolvedCache.set(msg.fullName, out); // recursion guard (types may refer to themselves)
  const jd = jsonDefFor(msg);
  const props = jd?.def.properties ? Object.keys(jd.def.properties) : undefined;
  const claimed = new Set<string>();
  const pending: { field: ProtoField; type: string }[] = [];

  const base = msg.fields.map((field) => {
    const type = resolveType(field.type, msg.pkg);
    let jsonName: string | undefined;
    if (props) {
      jsonName = props.find((p) => p === field.name) ?? props.find((p) => p.toLowerCase() === field.name.toLowerCase());
      if (jsonName && jsonName !== field.name) decisions.push(`rename ${msg.fullName}.${field.name} -> ${jsonName}`);
    }
    if (jsonName) claimed.add(jsonName);
    else if (!scalarTypes.has(type) && field.label === 'optional') pending.push({ field, type });
    return { field, type, jsonName };
  });

  // A message-typed field without a JSON property of its own whose fields show up
  // in the parent's JSON is a Go embedded struct (json:",inline").
  const inline = new Set<ProtoField>();
  for (const { field, type } of pending) {
    let isInline: boolean;
    if (jd?.own && props) {
      // At least half of the embedded message's JSON names must be unclaimed properties
      // of the parent (not all: the proto may know fields this OpenAPI does not).
      const unclaimed = new Set(props.filter((p) => !claimed.has(p)));
      const names = [...flatJsonNames(type)];
      const hits = names.filter((n) => unclaimed.has(n)).length;
      isInline = names.length > 0 && hits * 2 >= names.length;
      if (isInline) knownInline.add(inlineKey(field.name, type));
    } else {
      // Another version's JSON may be shaped differently: only trust proven inline pairs.
      isInline = knownInline.has(inlineKey(field.name, type));
    }
    if (isInline) {
      inline.add(field);
      decisions.push(`inline ${msg.fullName}.${field.name} (${shortKey(type)})${jd?.own ? '' : ` via ${jd?.name ?? 'known pairs'}`}`);
    }
  }

  for (const { field, type, jsonName } of base) {
    const isScalar = scalarTypes.has(type);
    const name = jsonName ?? field.name;
    const repeated = field.label === 'repeated';
    const go = goFields[shortKey(msg.fullName)]?.[String(field.number)];
    let isRequired: boolean;
    let emitZero = false;
    let absentZero = false;
    let absentNull = false;
    let omitZero = false;
    if (go !== undefined) {
      // What Go's generated marshaller and encoding/json do with the field:
      // - the wire always has a value field (zero or not), and a nil-able one only when
      //   it is set, so a zero on the wire is an explicit zero unless the field is a value;
      // - omitempty drops a zero scalar, an empty slice or map, and a nil pointer, but
      //   never a struct; without it nil is written as null;
      // - omitzero (metav1.Time creationTimestamp) drops the zero value, struct or not.
      // Named []string messages (+protobuf.nullable) are nil-able like the slices they are.
      const nilable = go.startsWith('p') || specials.get(type) === 'stringlist';
      const omitempty = go.includes('e');
      omitZero = go.includes('z');
      isRequired = !omitempty && !omitZero;
      if (!repeated) {
        if (isScalar) emitZero = !omitZero && (nilable || !omitempty);
        absentNull = nilable && isRequired;
        absentZero = !nilable && !omitZero && (!isScalar || !omitempty);
      }
      const shape = repeated ? (field.mapKey !== undefined ? 'map' : 'list') : isScalar ? 'scalar' : 'message';
      countRule(`go ${shape} ${nilable ? 'nil-able' : 'value'}${omitempty ? ' omitempty' : ''}${omitZero ? ' omitzero' : ''}`);
    } else if (specials.has(msg.fullName)) {
      isRequired = false; // Time, Quantity, ...: decoded by their own rules, not by these flags
      countRule('field of a well-known message (Time, Quantity, ...)');
    } else {
      throw new Error(`no Go facts for ${msg.fullName}.${field.name} in ${relative(repoRoot, goFieldsFile)}: rerun scripts/gen-protobuf-go-fields.ts`);
    }
    out.push({
      number: field.number,
      protoName: field.name,
      jsonName: name,
      type,
      mapKey: field.mapKey,
      repeated: field.label === 'repeated',
      inline: inline.has(field),
      required: isRequired,
      emitZero,
      absentZero,
      absentNull,
      omitZero,
    });
  }
  return out;
}

// Resolve OpenAPI-described messages first so their inline pairs are known for the rest.
const ordered = [...protoMessages.values()].sort((a, b) => Number(!defs[defNameOf(a.fullName)]) - Number(!defs[defNameOf(b.fullName)]));
for (const msg of ordered) resolveFields(msg);

// ---------------------------------------------------------------------------
// apiVersion/kind -> message

const kinds = new Map<string, Map<string, string>>();
function addKind(apiVersion: string, kind: string, fullName: string, why: string): void {
  let byKind = kinds.get(apiVersion);
  if (!byKind) kinds.set(apiVersion, (byKind = new Map()));
  const existing = byKind.get(kind);
  if (existing && existing !== fullName) {
    // Two sources disagree; the OpenAPI (added first) wins.
    decisions.push(`kind ${apiVersion} ${kind}: keep ${shortKey(existing)}, not ${shortKey(fullName)} (${why})`);
    return;
  }
  byKind.set(kind, fullName);
}
const apiVersionOf = (group: string, version: string): string => (group ? `${group}/${version}` : version);

// 1. Every group/version/kind the OpenAPI names, for definitions that have a proto message.
const servedGroupVersions = new Set<string>();
for (const [name, def] of Object.entries(defs)) {
  for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
    servedGroupVersions.add(apiVersionOf(gvk.group, gvk.version));
    const protoName = name.replace(/^io\.k8s\./, 'k8s.io.');
    if (protoMessages.has(protoName)) addKind(apiVersionOf(gvk.group, gvk.version), gvk.kind, protoName, 'openapi');
  }
}

// 2. Group of each k8s.io/api/<pkg>: from the OpenAPI kinds of that package, else
//    from the group/versions the OpenAPI lists for DeleteOptions/WatchEvent.
const groupOfPkg = new Map<string, string>();
for (const [name, def] of Object.entries(defs)) {
  const m = name.match(/^io\.k8s\.api\.(\w+)\.\w+\.\w+$/);
  const gvk = def['x-kubernetes-group-version-kind']?.[0];
  if (m && gvk) groupOfPkg.set(m[1]!, gvk.group);
}
function groupFor(pkgName: string, version: string): string {
  const known = groupOfPkg.get(pkgName) ?? groupOfPkg.get(`${pkgName}/${version}`);
  if (known !== undefined) return known;
  for (const gv of servedGroupVersions) {
    const [group, ver] = gv.includes('/') ? gv.split('/') as [string, string] : ['', gv];
    if (ver === version && group.split('.')[0] === pkgName) return group;
  }
  decisions.push(`group of ${pkgName}/${version} assumed ${pkgName}.k8s.io`);
  groupOfPkg.set(`${pkgName}/${version}`, `${pkgName}.k8s.io`);
  return `${pkgName}.k8s.io`;
}

// 3. Kinds of each API package the OpenAPI does not cover: messages no other message
//    refers to (objects such as AdmissionReview, requests such as PodLogOptions, and
//    the *List types), plus the item type of each list.
const referenced = new Set<string>();
for (const msg of protoMessages.values()) for (const f of resolveFields(msg)) referenced.add(f.type);
const listMeta = 'k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta';
const metaPkg = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const apiGroupVersions = new Set<string>(servedGroupVersions);
for (const msg of protoMessages.values()) {
  const m = msg.pkg.match(/^k8s\.io\.api\.(\w+)\.(\w+)$/);
  if (!m || referenced.has(msg.fullName)) continue;
  const apiVersion = apiVersionOf(groupFor(m[1]!, m[2]!), m[2]!);
  apiGroupVersions.add(apiVersion);
  addKind(apiVersion, msg.name, msg.fullName, 'package root');
  const fields = resolveFields(msg);
  const items = fields.find((f) => f.jsonName === 'items' && f.repeated && f.mapKey === undefined);
  if (items && !specials.has(items.type) && fields.some((f) => f.jsonName === 'metadata' && f.type === listMeta)) {
    addKind(apiVersion, protoMessages.get(items.type)!.name, items.type, 'list item');
  }
}

// 4. Options types of meta/v1 exist in every group/version (as upstream registers them);
//    WatchEvent too, for group/versions the OpenAPI does not list.
const metaOptions = [...protoMessages.values()].filter(
  (m) => m.pkg === metaPkg && m.name.endsWith('Options') && !referenced.has(m.fullName),
);
for (const apiVersion of apiGroupVersions) {
  for (const m of metaOptions) addKind(apiVersion, m.name, m.fullName, 'meta options');
  addKind(apiVersion, 'WatchEvent', `${metaPkg}.WatchEvent`, 'meta');
}

// ---------------------------------------------------------------------------
// Checks against the OpenAPI: a message the OpenAPI describes as a non-object must
// have special handling (fails the run); JSON properties no proto field produces
// (fields the protos dropped since 1.36) are listed with --verbose.

const problems: string[] = [];
for (const msg of protoMessages.values()) {
  const def = defs[defNameOf(msg.fullName)];
  if (!def) continue;
  const special = specials.get(msg.fullName);
  if (def.type && def.type !== 'object' && !special) problems.push(`${msg.fullName}: OpenAPI type ${def.type} but no special handling`);
  if (special || !def.properties) continue;
  const produced = flatJsonNames(msg.fullName);
  for (const p of Object.keys(def.properties)) {
    if (p === 'apiVersion' || p === 'kind' || produced.has(p)) continue;
    decisions.push(`note: ${msg.fullName}.${p} is in the OpenAPI but not in the proto`);
  }
}
if (problems.length) throw new Error(problems.join('\n'));

// ---------------------------------------------------------------------------
// Output: one message per line, fields as compact tuples.

type FieldTuple = [number, string, string, string, Record<string, string>?];
const messagesOut: Record<string, { special?: Special; fields: FieldTuple[] }> = {};
for (const msg of [...protoMessages.values()].sort((a, b) => (a.fullName < b.fullName ? -1 : 1))) {
  const special = specials.get(msg.fullName);
  const fields = resolveFields(msg).map((f): FieldTuple => {
    const flags =
      (f.mapKey !== undefined ? 'm' : f.repeated ? 'r' : '') +
      (f.inline ? 'i' : '') + (f.required ? 'q' : '') + (f.emitZero ? 'z' : '') +
      (f.absentZero ? 'a' : '') + (f.absentNull ? 'n' : '') + (f.omitZero ? 'o' : '');
    const extra: Record<string, string> = {};
    if (f.protoName !== f.jsonName) extra.proto = f.protoName;
    if (f.mapKey !== undefined) extra.key = f.mapKey;
    const type = scalarTypes.has(f.type) ? f.type : shortKey(f.type);
    return Object.keys(extra).length ? [f.number, f.jsonName, type, flags, extra] : [f.number, f.jsonName, type, flags];
  });
  messagesOut[shortKey(msg.fullName)] = special ? { special, fields } : { fields };
}

const kindsOut: Record<string, Record<string, string>> = {};
for (const apiVersion of [...kinds.keys()].sort()) {
  const byKind = kinds.get(apiVersion)!;
  kindsOut[apiVersion] = Object.fromEntries([...byKind.keys()].sort().map((k) => [k, shortKey(byKind.get(k)!)]));
}

const header = {
  generatedBy: 'scripts/gen-protobuf.ts from ../shared/k8s-api (generated.proto + openapi-v2.json) and scripts/gen-protobuf-go-fields.json',
  fieldColumns: ['number', 'jsonName', 'type (scalar or message key)', 'flags', '{proto: protoName, key: mapKeyType}?'],
  flags: { r: 'repeated', m: 'map (type is the value type)', i: 'inline: fields flattened into the parent JSON object', q: 'no omitempty: JSON always has it (an empty list/map is null)', z: 'a zero scalar on the wire is kept in JSON (Go pointer, or value without omitempty)', a: 'absent from the wire: JSON has the zero value (Go value field; a message: its empty form)', n: 'absent from the wire: JSON has null (nil-able Go field without omitempty)', o: 'omitzero: a zero value is left out (metav1.Time: not null)' },
};
const lines = [
  '{',
  `"about": ${JSON.stringify(header)},`,
  '"kinds": {',
  Object.entries(kindsOut).map(([v, ks]) => `${JSON.stringify(v)}: ${JSON.stringify(ks)}`).join(',\n'),
  '},',
  '"messages": {',
  Object.entries(messagesOut).map(([k, m]) => `${JSON.stringify(k)}: ${JSON.stringify(m)}`).join(',\n'),
  '}',
  '}',
  '',
];
writeFileSync(outFile, lines.join('\n'));

const kindCount = Object.values(kindsOut).reduce((n, ks) => n + Object.keys(ks).length, 0);
console.log(`wrote ${relative(repoRoot, outFile)}: ${Object.keys(messagesOut).length} messages, ${kindCount} kinds in ${Object.keys(kindsOut).length} apiVersions, ${statSync(outFile).size} bytes`);
for (const [rule, n] of [...ruleCounts].sort()) console.log(`  ${String(n).padStart(5)} ${rule}`);
if (verbose) for (const d of decisions) console.log(d);
