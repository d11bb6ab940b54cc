// The reason of a WebSocket close frame the host sends (RFC 6455 5.5.1: a
// two-byte code, then UTF-8 text), re-worded for the virtual pod. The code
// stays; the payload stays within the 125 bytes a control frame may carry,
// so the reason within 123 (cut at a character boundary when the virtual
// names are the longer). A host reason that long may itself have been cut
// inside a host name: the cut name's start is dropped too.

import { reword, type PodPair } from './streams-errors.ts';
import { MAX_CONTROL_PAYLOAD } from './streams-ws-frames.ts';
import type { BytesRewrite } from './streams-ws-rewrite.ts';

/** The longest reason a close frame carries. */
export const MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2;

/** A close frame's payload with its reason re-worded; the same Buffer when nothing changed. */
export function closePayloadRewrite(pod: PodPair): BytesRewrite {
  const hostTexts = [pod.hostName, pod.hostNamespace, ...pod.hostUid ? [pod.hostUid] : []].filter((t) => t !== '');
  return (payload) => {
    // No code, or a code alone: nothing to re-word.
    if (payload.length <= 2) return payload;
    const reason = payload.toString('latin1', 2);
    let out = reword(reason, pod);
    if (payload.length - 2 >= MAX_CLOSE_REASON) out = withoutCutHostText(out, hostTexts);
    if (out === reason) return payload;
    return Buffer.concat([payload.subarray(0, 2), utf8Prefix(Buffer.from(out, 'latin1'), MAX_CLOSE_REASON)]);
  };
}

const NAME_CHAR = /[a-z0-9.-]/;

/** `text` without a trailing start of one of `hostTexts` (as a word of its own: not the end of a longer word). */
function withoutCutHostText(text: string, hostTexts: readonly string[]): string {
  for (const host of hostTexts) {
    for (let k = Math.min(host.length - 1, text.length); k > 0; k--) {
      if (!text.endsWith(host.slice(0, k))) continue;
      const before = text[text.length - k - 1];
      if (before === undefined || !NAME_CHAR.test(before)) return text.slice(0, text.length - k);
    }
  }
  return text;
}

/** The first `max` bytes of UTF-8 `bytes` at most, not cutting a character. */
export function utf8Prefix(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let cut = max;
  // A continuation byte (10xxxxxx) at the cut: back to the start of its character.
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut);
}
