// Kubernetes' regex library (find, findAll with an optional limit) and CEL's
// matches, all with Go's RE2 syntax (re2.ts) instead of JavaScript's.

import { LibraryError } from './errors.ts';
import type { Library } from './lib.ts';
import { compileGoRegexp, GoRegexpError } from './re2.ts';

function compile(pattern: string, prefix: string): RegExp {
  try {
    return compileGoRegexp(pattern);
  } catch (e) {
    if (e instanceof GoRegexpError) throw new LibraryError(`${prefix}${e.message}`);
    throw e;
  }
}

const globals = new Map<RegExp, RegExp>();
function global(re: RegExp): RegExp {
  let g = globals.get(re);
  if (!g) {
    if (globals.size > 1024) globals.clear();
    g = new RegExp(re.source, `${re.flags}g`);
    globals.set(re, g);
  }
  return g;
}

export function matches(s: string, pattern: string): boolean {
  return compile(pattern, '').test(s);
}

export function find(s: string, pattern: string): string {
  const m = compile(pattern, 'Illegal regex: ').exec(s);
  return m ? m[0] : '';
}

/** Go's FindAllString: at most `limit` matches (all when negative); an empty match right after a match is skipped. */
export function findAll(s: string, pattern: string, limit = -1n): string[] {
  const re = global(compile(pattern, 'Illegal regex: '));
  const max = limit < 0n ? s.length + 1 : Number(limit);
  const out: string[] = [];
  let pos = 0;
  let prevEnd = -1;
  while (out.length < max && pos <= s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) break;
    const start = m.index, end = start + m[0].length;
    let accept = true;
    if (end === start) {
      if (start === prevEnd) accept = false;
      const cp = s.codePointAt(start);
      pos = start + (cp !== undefined && cp > 0xffff ? 2 : 1);
    } else {
      pos = end;
    }
    prevEnd = end;
    if (accept) out.push(m[0]);
  }
  return out;
}

export function register(lib: Library): void {
  lib.replace('string.matches(string): bool', matches);
  lib.fn('matches(string, string): bool', matches);
  lib.fn('string.find(string): string', find);
  lib.fn('string.findAll(string): list<string>', (s: string, p: string) => findAll(s, p));
  lib.fn('string.findAll(string, int): list<string>', findAll);
}
