// PACE: when the checkpointer thread ticks next (checkpointer-thread.mjs). Plain JavaScript, as the
// thread is (types in checkpoint-pace.d.mts).
//
// Past the safety net (safetyNetPages of WAL) the writing connections checkpoint the WAL themselves,
// inside a commit (checkpointer.ts), and every delivery waits: 100-690 ms with 20 KB bodies near
// saturation, the WAL growing up to 250 MiB a second, when the thread ticked once a second and a tick
// took up to 0.85 s (README § Performance). So the next tick comes when the WAL, growing as fast as it
// did since it last started over, holds what a tick as long as the last restarting one can still copy
// and restart before the WAL reaches half the safety net; never later than intervalMs, never sooner
// than MIN_INTERVAL_MS. Under lighter writes that is intervalMs.

export const MIN_INTERVAL_MS = 50

/**
 * The wait before the next tick (ms). `log`: pages in the WAL now; `rate`: pages a millisecond it grew
 * since it last started over (0: not known yet); `restartTook`: how long the last tick that restarted it took.
 */
export function nextTickDelay({ log, rate, restartTook, restartPages, safetyNetPages, intervalMs }) {
  if (!(rate > 0)) return intervalMs
  const restartAt = Math.max(restartPages, safetyNetPages / 2 - rate * restartTook)
  return Math.min(intervalMs, Math.max(MIN_INTERVAL_MS, (restartAt - log) / rate))
}
