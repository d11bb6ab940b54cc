// Base64 as Go's encoding/json decodes []byte fields (standard alphabet, padded).

/** Go's error for a malformed base64 []byte value, or undefined when it decodes. */
export function base64Error(s: string): string | undefined {
  const clean = s.replace(/[\r\n]/g, '');
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i] as string;
    if (!/[A-Za-z0-9+/=]/.test(c)) return `illegal base64 data at input byte ${i}`;
  }
  if (clean.length % 4 !== 0) return `illegal base64 data at input byte ${clean.length - (clean.length % 4)}`;
  const pad = clean.indexOf('=');
  if (pad >= 0 && (pad < clean.length - 2 || /[^=]/.test(clean.slice(pad)))) return `illegal base64 data at input byte ${pad}`;
  return undefined;
}

export function decodedLength(s: string): number {
  return Buffer.from(s, 'base64').length;
}

export function encodeBase64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}
