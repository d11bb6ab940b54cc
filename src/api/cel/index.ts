// Kubernetes' CEL environment (as of 1.36) over @marcbachmann/cel-js, shared
// by CRD validation rules and admission policies: the CEL library's standard
// functions and optional types, plus Kubernetes' and cel-go's extension
// libraries, one file each:
//
//   strings.ts   charAt, indexOf, lastIndexOf, lowerAscii, upperAscii, replace,
//                split, substring, trim, join, format, strings.quote
//   lists.ts     isSorted, sum, min, max, indexOf, lastIndexOf, slice, flatten,
//                distinct, reverse, sort, sortBy, lists.range
//   sets.ts      sets.contains, sets.equivalent, sets.intersects
//   regex.ts     find, findAll, matches (RE2 syntax: re2.ts)
//   urls.ts      url, isURL and kubernetes.URL
//   quantity.ts  quantity, isQuantity and kubernetes.Quantity
//   ip.ts        ip, isIP, ip.isCanonical and net.IP
//   cidr.ts      cidr, isCIDR and net.CIDR
//   format.ts    format.<name>(), format.named() and NamedFormat.validate()
//   semver.ts    semver, isSemver and kubernetes.Semver
//   construction.ts  (option `patchTypes`, mutating admission policies) message
//                construction `Object{...}`/`JSONPatch{...}` through a source
//                rewriter, and jsonpatch.escapeKey
//
// Library functions fail with LibraryError carrying upstream's text. Where the
// CEL library has a function built in with other semantics (string indexes in
// UTF-16 units, Unicode case mapping in lowerAscii, JavaScript regular
// expressions in matches, ...), its handler is replaced by cel-go's behaviour.
// Where the CEL library's core language is not cel-go's (has() of any
// expression, optional equality, the error of `||`/`&&`), celgo.ts brings
// cel-go's behaviour. Not provided: static type checking against schemas, cost
// estimation and limits, and the two-variable comprehensions.

import { createRequire } from 'node:module';
import type { Environment } from '@marcbachmann/cel-js';
import { declareOptionalEquality, generalizeHas, patchLogicalOperators } from './celgo.ts';
import { register as registerCIDR } from './cidr.ts';
import { register as registerConstruction } from './construction.ts';
import { register as registerFormat } from './format.ts';
import { register as registerIP } from './ip.ts';
import { parseSignature } from './lib.ts';
import type { CelModule, Handler, Library, Replacement } from './lib.ts';
import { register as registerLists } from './lists.ts';
import { register as registerQuantity } from './quantity.ts';
import { register as registerRegex } from './regex.ts';
import { register as registerSemver } from './semver.ts';
import { register as registerSets } from './sets.ts';
import { register as registerStrings } from './strings.ts';
import { register as registerURLs } from './urls.ts';

export { LibraryError } from './errors.ts';
export type { CelModule } from './lib.ts';

let celModule: CelModule | undefined;

/** The CEL library, loaded on first use. */
export function cel(): CelModule {
  if (!celModule) {
    celModule = createRequire(import.meta.url)('@marcbachmann/cel-js') as CelModule;
    patchLogicalOperators();
  }
  return celModule;
}

export interface KubernetesEnvironmentOptions {
  /** Undeclared identifiers are dyn variables (CRD rules: self, oldSelf). */
  unlistedVariablesAreDyn?: boolean;
  /**
   * Kubernetes' patch types (mutating admission policies): `Object{...}` and
   * `JSONPatch{...}` construction (parse the text rewritten by
   * construction.ts's rewriteConstructions) and jsonpatch.escapeKey.
   */
  patchTypes?: boolean;
  /** Declares the caller's variables, types and functions before the environment is finished. */
  declare?: (env: Environment) => void;
}

const namespaceTypes = new Map<string, abstract new () => unknown>();

function namespaceClass(name: string): abstract new () => unknown {
  let c = namespaceTypes.get(name);
  if (!c) {
    c = { [name]: class {} }[name]!;
    namespaceTypes.set(name, c);
  }
  return c;
}

/** The names of every function the libraries declare (for telling "unknown function" from "wrong arguments"). */
const libraryNames = new Set<string>();

interface Declaration { name: string; receiverType: { name: string } | null; argTypes: { name: string }[]; handler: Handler }
interface Candidates { declarations: Declaration[] }
interface Registry { functionCandidates(rec: boolean, name: string, argLen: number): Candidates }

const registries = new WeakMap<Environment, Registry | undefined>();

/**
 * The environment's function registry, reached through a handler's evaluator
 * (`this`): a probe function is declared and called once.
 */
function registryOf(env: Environment): Registry | undefined {
  if (registries.has(env)) return registries.get(env);
  let registry: Registry | undefined;
  try {
    env.registerFunction('kubevisorRegistryProbe(): bool', function (this: { registry?: Registry }) {
      registry = this.registry;
      return true;
    });
    env.evaluate('kubevisorRegistryProbe()', {});
  } catch {
    registry = undefined;
  }
  registries.set(env, registry);
  return registry;
}

/** Swaps the handlers of built-in overloads; the CEL library is left as it is when its internals differ. */
function applyReplacements(env: Environment, replacements: readonly Replacement[]): void {
  if (replacements.length === 0) return;
  const registry = registryOf(env);
  if (!registry || typeof registry.functionCandidates !== 'function') return;
  for (const r of replacements) {
    const cands = registry.functionCandidates(r.receiver !== null, r.name, r.argTypes.length);
    if (!Array.isArray(cands?.declarations)) continue;
    cands.declarations = cands.declarations.map((d) => {
      const recv = d.receiverType?.name ?? null;
      const want = r.receiver === null ? null : r.receiver === 'list<string>' ? 'list<string>' : r.receiver;
      if (recv !== want || d.argTypes.length !== r.argTypes.length || !d.argTypes.every((t, i) => t.name === r.argTypes[i])) return d;
      return Object.freeze(Object.assign(Object.create(Object.getPrototypeOf(d) as object) as Declaration, d, { handler: r.handler }));
    });
  }
}

/** A new environment with Kubernetes' CEL libraries. */
export function kubernetesEnvironment(opts: KubernetesEnvironmentOptions = {}): Environment {
  const mod = cel();
  const base = new mod.Environment({ unlistedVariablesAreDyn: opts.unlistedVariablesAreDyn ?? false, enableOptionalTypes: true });
  const replacements: Replacement[] = [];
  const lib: Library = {
    env: base,
    mod,
    fn(signature, handler) {
      base.registerFunction(signature, handler);
      libraryNames.add(parseSignature(signature).name);
    },
    replace(signature, handler) {
      const r = parseSignature(signature);
      replacements.push({ ...r, handler });
      libraryNames.add(r.name);
    },
    namespace(name) {
      const type = `kubevisor.${name}Namespace`;
      const C = namespaceClass(type) as new () => unknown;
      base.registerType(type, C);
      base.registerConstant(name, type, new C());
      return type;
    },
    type(name, ctor) {
      base.registerType(name, { ctor, fields: {} });
    },
  };
  registerStrings(lib);
  registerLists(lib);
  registerSets(lib);
  registerRegex(lib);
  registerURLs(lib);
  registerQuantity(lib);
  registerIP(lib);
  registerCIDR(lib);
  registerFormat(lib);
  registerSemver(lib);
  if (opts.patchTypes) registerConstruction(lib);
  declareOptionalEquality(base);
  opts.declare?.(base);
  applyReplacements(base, replacements);
  generalizeHas(registryOf(base));
  return base;
}

/** Whether some library declares a function (or method) of this name. */
export function isLibraryFunction(name: string): boolean {
  return libraryNames.has(name);
}

/**
 * A type-check failure of a call to a library function with arguments it has
 * no overload for, in cel-go's words (`found no matching overload for 'f'
 * applied to '(int)'`) with the offset of the call's `(`; undefined for
 * anything else (unknown functions among them: they fail when evaluated).
 */
export function overloadIssue(text: string, error: unknown): { offset: number; message: string } | undefined {
  const e = error as { code?: string; message?: string; range?: { start: number; end: number } };
  if (e?.code !== 'no_matching_overload') return undefined;
  const m = /^found no matching overload for '(?:([^(]*)\.)?(\w+)\((.*)\)'/.exec(String(e.message ?? ''));
  if (!m || !isLibraryFunction(m[2]!)) return undefined;
  const celType = (t: string) => t.trim().replace(/</g, '(').replace(/>/g, ')');
  const args = m[3]!.trim() === '' ? [] : splitTypes(m[3]!).map(celType);
  const receiver = m[1];
  if (receiver !== undefined && (receiver === 'dyn' || namespaceTypes.has(receiver))) {
    // Namespaced functions (sets.contains) are global functions upstream.
    if (receiver !== 'dyn') return at(text, e, m[2]!, `found no matching overload for '${receiver.replace(/^kubevisor\.(\w+)Namespace$/, '$1')}.${m[2]}' applied to '(${args.join(', ')})'`);
  }
  const signature = receiver !== undefined ? `${celType(receiver)}.(${args.join(', ')})` : `(${args.join(', ')})`;
  return at(text, e, m[2]!, `found no matching overload for '${m[2]}' applied to '${signature}'`);
}

function at(text: string, e: { range?: { start: number; end: number } }, name: string, message: string): { offset: number; message: string } {
  const start = e.range?.start ?? 0;
  const end = e.range?.end ?? text.length;
  const call = text.slice(start, end).search(new RegExp(`\\b${name}\\s*\\(`));
  const offset = call < 0 ? start : start + call + text.slice(start + call, end).indexOf('(');
  return { offset, message };
}

function splitTypes(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const c of s) {
    if (c === '<') depth++;
    if (c === '>') depth--;
    if (c === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}
