// PEM blocks found the way Go's encoding/pem finds them: the first well-formed
// block (BEGIN line, optional `Key: value` headers, base64 body, matching END
// line) anywhere in the data; a malformed one is skipped.

export interface PemBlock {
  readonly type: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly bytes: Buffer;
}

const BEGIN = '-----BEGIN ';
const END = '\n-----END ';
const DASHES = '-----';

/** A line without its newline and trailing spaces, tabs and carriage returns; and the rest. */
function getLine(s: string): [string, string] {
  const i = s.indexOf('\n');
  const line = i < 0 ? s : s.slice(0, i);
  const rest = i < 0 ? '' : s.slice(i + 1);
  return [line.replace(/[ \t\r]+$/, ''), rest];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict standard base64 (newlines, spaces and tabs removed first), or undefined. */
function decodeBase64(body: string): Buffer | undefined {
  const text = body.replace(/[ \t\r\n]/g, '');
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** The first PEM block of `data` and what follows it; undefined when there is none. */
export function decodePem(data: string): { block: PemBlock; rest: string } | undefined {
  let rest = data;
  for (;;) {
    if (rest.startsWith(BEGIN)) {
      rest = rest.slice(BEGIN.length);
    } else {
      const i = rest.indexOf(`\n${BEGIN}`);
      if (i < 0) return undefined;
      rest = rest.slice(i + 1 + BEGIN.length);
    }
    let typeLine: string;
    [typeLine, rest] = getLine(rest);
    if (!typeLine.endsWith(DASHES)) continue;
    const type = typeLine.slice(0, -DASHES.length);
    const headers: Record<string, string> = {};
    let malformed = false;
    for (;;) {
      if (rest.length === 0) { malformed = true; break; }
      const [line, next] = getLine(rest);
      const colon = line.indexOf(':');
      if (colon < 0) break;
      headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      rest = next;
    }
    if (malformed) return undefined;
    let endIndex: number;
    let trailerIndex: number;
    if (Object.keys(headers).length === 0 && rest.startsWith(END.slice(1))) {
      endIndex = 0;
      trailerIndex = END.length - 1;
    } else {
      endIndex = rest.indexOf(END);
      trailerIndex = endIndex + END.length;
    }
    if (endIndex < 0) continue;
    const trailer = rest.slice(trailerIndex);
    const want = type + DASHES;
    if (!trailer.startsWith(want)) continue;
    const [after, beyond] = getLine(trailer.slice(want.length));
    if (after.length !== 0) continue;
    const bytes = decodeBase64(rest.slice(0, endIndex));
    if (!bytes) continue;
    return { block: { type, headers, bytes }, rest: beyond };
  }
}

/** Every PEM block of `data`, in order. */
export function decodeAllPem(data: string): PemBlock[] {
  const out: PemBlock[] = [];
  let rest = data;
  for (;;) {
    const r = decodePem(rest);
    if (!r) return out;
    out.push(r.block);
    rest = r.rest;
  }
}

/** DER bytes as a PEM block of `label`. */
export function encodePem(label: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
