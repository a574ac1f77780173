export interface Backoff {
  baseMs: number
  maxMs: number
}

/** 1 s, 2 s, 4 s … capped, with full jitter. `attempt` is the attempt that just failed (1-based). */
export const backoffMs = (attempt: number, { baseMs, maxMs }: Backoff, random = Math.random()) =>
  Math.round(random * Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 52)))
