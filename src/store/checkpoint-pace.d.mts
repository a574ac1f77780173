export const MIN_INTERVAL_MS: number

export function nextTickDelay(options: {
  log: number
  rate: number
  restartTook: number
  restartPages: number
  safetyNetPages: number
  intervalMs: number
}): number
