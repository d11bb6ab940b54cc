// The error Kubernetes' CEL library functions raise: its message is the text
// upstream's function gives (what a client sees after "evaluating rule: ..."
// or in a policy's failure).

export class LibraryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LibraryError';
  }
}
