// Where the generated OpenAPI documents live (written by scripts/gen-openapi.ts).

/** The file name of a v3 document: "apis/apps/v1" → "apis__apps__v1.json" (the naming upstream uses for its checked-in specs). */
export function documentFileName(documentPath: string): string {
  return `${documentPath.replaceAll('/', '__')}.json`;
}

export const generatedDir = new URL('./generated/', import.meta.url);
