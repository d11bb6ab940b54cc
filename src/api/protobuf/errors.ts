// Errors of the protobuf codec. The server answers a ProtobufDecodeError with 400
// (the client sent a body it cannot have meant); a ProtobufEncodeError means an
// object the server holds has no protobuf form (500, or fall back to JSON).

/** The bytes are not a valid Kubernetes protobuf object. */
export class ProtobufDecodeError extends Error {
  override name = 'ProtobufDecodeError';
}

/** The object cannot be written as protobuf (unknown kind, value of the wrong type). */
export class ProtobufEncodeError extends Error {
  override name = 'ProtobufEncodeError';
}
