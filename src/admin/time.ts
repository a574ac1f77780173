// Times given by operators: `15m`, `2h`, `7d` before now, or an ISO 8601 date.

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

export const WHEN_HINT = 'expected an ISO 8601 date (2025-01-31T12:00:00Z) or a duration before now such as 30s, 15m, 2h, 7d'

/** Parses `15m` (that long before `now`) or an ISO 8601 date; undefined when it is neither. */
export function parseWhen(value: string, now: Date): Date | undefined {
  const relative = /^(\d{1,9})(s|m|h|d)$/.exec(value.trim())
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS])
  if (!/^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** `45s ago`, `3m ago`, `2h ago`, `5d ago` (`in 3m` for the future). */
export function ago(date: Date, now: Date): string {
  const s = Math.round((now.getTime() - date.getTime()) / 1000)
  const abs = Math.abs(s)
  const text = abs < 60 ? `${abs}s` : abs < 3600 ? `${Math.round(abs / 60)}m` : abs < 86400 ? `${Math.round(abs / 3600)}h` : `${Math.round(abs / 86400)}d`
  return s >= 0 ? `${text} ago` : `in ${text}`
}

/** `850 ms`, `4.2 s`, `3 min`, `2.5 h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`
  return `${(ms / 3_600_000).toFixed(1)} h`
}
