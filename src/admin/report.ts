// The figures shared by the admin API, the console and the CLI (`inhook stats`, `inhook rejections`).
import type { Rejection, Store } from '../store/store.ts'

/** Counts by source × status, the queue, and rates over the last minute and hour. */
export async function statsReport(store: Store, now: Date) {
  const [stats, rates] = await Promise.all([store.stats(now), store.rates(now)])
  return {
    bySourceStatus: stats.bySourceStatus,
    queueDepth: stats.queueDepth,
    oldestDueSeconds: stats.oldestDueMs / 1000,
    rates: {
      ...rates,
      ingestPerSecond: { lastMinute: rates.ingest.lastMinute / 60, lastHour: rates.ingest.lastHour / 3600 },
      processingPerSecond: { lastMinute: rates.processing.lastMinute / 60, lastHour: rates.processing.lastHour / 3600 },
    },
  }
}

export type StatsReport = Awaited<ReturnType<typeof statsReport>>

export const rejectionJson = (r: Rejection) => ({ at: r.at.toISOString(), source: r.source, clientIp: r.clientIp ?? null, status: r.status, reason: r.reason, hint: r.hint ?? null })
