/** Thrown by a handler to fail the event at once, without further retries. */
export class PermanentError extends Error {
  override name = 'PermanentError'
}

/** A handler that ran past the worker's `timeoutMs`. */
export class HandlerTimeoutError extends Error {
  override name = 'HandlerTimeoutError'
}

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error)
