/** Failures a later attempt may fix (rate limits, server errors, timeouts), with the server's requested wait. */
export class RetryableError extends Error {
  override name = 'RetryableError';
  /** `throttled`: the server said to slow down (429 or 503), not merely that it failed. */
  constructor(message: string, readonly retryAfterMs?: number, readonly throttled = false) {
    super(message);
  }
}

/** Failures no retry fixes (a rejected record, a missing permission): the event goes to the dead-letter list. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}
