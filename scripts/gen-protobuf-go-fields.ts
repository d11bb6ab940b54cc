// Derives scripts/gen-protobuf-go-fields.json: for every field of every message in
// ../shared/k8s-api/proto, the shape of the Go struct field behind it, which
// decides what Go's JSON encoding writes for a zero or absent value:
//
//   p  a pointer, slice, map or []byte (nil-able: absent on the protobuf wire when nil)
//   v  a value (always on the wire, zero or not)
//   e  json:",omitempty"   z  json:",omitzero"
//
// The .proto files and the OpenAPI do not carry this (every scalar is `optional`
// there; the comments and `required` lists only hint at it, and the fixtures hold
// no zero values at all), so it is read from the Go struct tags of the same upstream
// commits the protos were generated from. Only these flags are written out.
//
//   npx node scripts/gen-protobuf-go-fields.ts --api DIR --apimachinery DIR
//
// DIR: a git directory or clone of github.com/kubernetes/api (resp. apimachinery)
// that contains the commit named in ../shared/k8s-api/README.md. gen-protobuf.ts
// reads the result; rerun this when ../shared moves to other commits.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const sharedRoot = join(repoRoot, '..', 'shared', 'k8s-api');
const protoRoot = join(sharedRoot, 'proto');
const outFile = join(repoRoot, 'scripts', 'gen-protobuf-go-fields.json');

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) throw new Error(`usage: gen-protobuf-go-fields.ts --api DIR --apimachinery DIR (missing ${name})`);
  return v;
}

// The commits ../shared was taken from, as its README names them.
const readme = readFileSync(join(sharedRoot, 'README.md'), 'utf8');
function commitOf(repo: string): string {
  const m = readme.match(new RegExp(`\\| kubernetes/${repo}(?: [^|]*)?, commit ([0-9a-f]{7,40}) \\|`));
  if (!m) throw new Error(`../shared/k8s-api/README.md names no kubernetes/${repo} commit`);
  return m[1]!;
}

const repos = {
  api: { dir: arg('--api'), commit: commitOf('api'), protoPrefix: 'k8s.io/api/', keyPrefix: 'api.' },
  apimachinery: { dir: arg('--apimachinery'), commit: commitOf('apimachinery'), protoPrefix: 'k8s.io/apimachinery/', keyPrefix: 'apimachinery.' },
};

const git = (dir: string, ...args: string[]): string =>
  execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Go packages that have a generated.proto in ../shared, as repo + directory. */
const packages = walk(protoRoot)
  .filter((p) => p.endsWith('/generated.proto'))
  .map((p) => dirname(relative(protoRoot, p)))
  .map((pkgPath) => {
    const repo = Object.values(repos).find((r) => pkgPath.startsWith(r.protoPrefix));
    if (!repo) throw new Error(`no Go repository for ${pkgPath}`);
    return { repo, goDir: pkgPath.slice(repo.protoPrefix.length) };
  });

type Facts = Record<string, string>; // field number -> flags
const out = new Map<string, Facts>();
/** `type X pkg.Y`: X has the fields of Y (resolved after every package is read). */
const aliases: { key: string; target: string }[] = [];

for (const { repo, goDir } of packages) {
  const resolved = git(repo.dir, 'rev-parse', '--verify', `${repo.commit}^{commit}`).trim();
  const files = git(repo.dir, 'ls-tree', '--name-only', resolved, `${goDir}/`)
    .split('\n')
    .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go') && !f.endsWith('.pb.go') && !/\/zz_generated/.test(f));
  const keyPrefix = repo.keyPrefix + goDir.replace(/\//g, '.') + '.';
  for (const file of files) {
    const text = git(repo.dir, 'show', `${resolved}:${file}`);
    const imports = new Map<string, string>(); // alias -> proto package path
    for (const m of text.matchAll(/^\s*(\w+)\s+"(k8s\.io\/(?:api|apimachinery)\/[^"]+)"/gm)) imports.set(m[1]!, m[2]!);
    let struct: string | undefined;
    for (const line of text.split('\n')) {
      let m: RegExpMatchArray | null;
      if ((m = line.match(/^type (\w+) struct \{\s*$/))) {
        struct = m[1]!;
        continue;
      }
      if ((m = line.match(/^type (\w+) (\w+)\.(\w+)\s*$/)) && imports.has(m[2]!)) {
        const target = imports.get(m[2]!)!.replace(/^k8s\.io\//, '').replace(/\//g, '.');
        aliases.push({ key: keyPrefix + m[1], target: `${target}.${m[3]}` });
        continue;
      }
      if (line.startsWith('}')) struct = undefined;
      if (!struct) continue;
      // `\tName Type \`tags\`` or an embedded `\tType \`tags\``
      m = line.match(/^\t(?:\w+\s+)?(\S+)\s+`([^`]*)`/);
      if (!m) continue;
      const pb = m[2]!.match(/protobuf:"\w+,(\d+)[,"]/);
      if (!pb) continue;
      const goType = m[1]!;
      const [, ...opts] = (m[2]!.match(/json:"([^"]*)"/)?.[1] ?? '').split(',');
      const nilable = goType.startsWith('*') || goType.startsWith('[]') || goType.startsWith('map[');
      const flags = (nilable ? 'p' : 'v') + (opts.includes('omitempty') ? 'e' : '') + (opts.includes('omitzero') ? 'z' : '');
      let facts = out.get(keyPrefix + struct);
      if (!facts) out.set(keyPrefix + struct, (facts = {}));
      facts[pb[1]!] = flags;
    }
  }
}
for (const { key, target } of aliases) {
  const facts = out.get(target);
  if (facts && !out.has(key)) out.set(key, facts);
}

const keys = [...out.keys()].sort();
const header = {
  generatedBy: 'scripts/gen-protobuf-go-fields.ts from the Go struct tags of kubernetes/api and kubernetes/apimachinery',
  commits: { api: repos.api.commit, apimachinery: repos.apimachinery.commit },
  flags: { p: 'nil-able (pointer, slice, map, []byte)', v: 'value', e: 'omitempty', z: 'omitzero' },
};
writeFileSync(outFile, [
  '{',
  `"about": ${JSON.stringify(header)},`,
  '"messages": {',
  keys.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(out.get(k))}`).join(',\n'),
  '}',
  '}',
  '',
].join('\n'));
const fieldCount = keys.reduce((n, k) => n + Object.keys(out.get(k)!).length, 0);
console.log(`wrote ${relative(repoRoot, outFile)}: ${fieldCount} fields of ${keys.length} Go structs`);
