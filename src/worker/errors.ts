const PERMANENT = Symbol.for('inhook.PermanentError')

/**
 * Thrown by a handler to fail the event at once, without further retries. Recognised by a registered
 * symbol, not by identity: a config loaded as CommonJS gets its own copy of this module.
 */
export class PermanentError extends Error {
  override name = 'PermanentError'
  readonly [PERMANENT] = true

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== PermanentError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as { [PERMANENT]?: unknown })[PERMANENT] === true
  }
}

/** A handler that ran past the worker's `timeoutMs`. */
export class HandlerTimeoutError extends Error {
  override name = 'HandlerTimeoutError'
}

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error)
