/** Why the client failed an operation: closed, kicked, or a connection lost under a request sent at most once. */
export class KimClientError extends Error {
  override readonly name: string = "KimClientError";
}

/** The server refused a request or the login; `status` is the protocol's status name, e.g. `"FORBIDDEN"`. */
export class KimStatusError extends KimClientError {
  override readonly name = "KimStatusError";
  constructor(
    readonly operation: string,
    readonly status: string,
    readonly code: number,
    readonly detail: string,
  ) {
    super(`${operation}: ${status}${detail ? ` (${detail})` : ""}`);
  }
}

/** Not answered in time. A send may still have been stored: send again with the same client message id. */
export class KimTimeoutError extends KimClientError {
  override readonly name = "KimTimeoutError";
}
