// Where the generated OpenAPI documents live (written by scripts/gen-openapi.ts).

import { readFileSync } from 'node:fs';

export const generatedDir = new URL('./generated/', import.meta.url);

/** The file name of a v3 document: "apis/apps/v1" → "apis__apps__v1.json" (the naming upstream uses for its checked-in specs). */
export function documentFileName(documentPath: string): string {
  return `${documentPath.replaceAll('/', '__')}.json`;
}

export interface GeneratedIndex {
  version: string;
  /** Group/version document paths ("api/v1", "apis/apps/v1", ...). */
  groupVersions: string[];
  /** Every v3 document path → its file under generated/v3/. */
  documents: Record<string, string>;
}

let index: GeneratedIndex | undefined;

/** generated/index.json, read on first use. */
export function documentFileNames(): GeneratedIndex {
  index ??= JSON.parse(readFileSync(new URL('index.json', generatedDir), 'utf8')) as GeneratedIndex;
  return index;
}
