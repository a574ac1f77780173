// Prometheus metrics (prom-client), one registry per app so tests and processes do not share state.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export type Metrics = ReturnType<typeof createMetrics>

const MINUTE_MS = 60_000

/**
 * Counts per minute over the last `keepMinutes`, in memory. For what is not stored as a row
 * (duplicate deliveries), so the console can chart it; per process, reset at restart.
 */
export class MinuteCounter {
  private readonly counts = new Map<number, number>()

  constructor(private readonly keepMinutes = 61) {}

  add(at: Date, n = 1): void {
    const minute = Math.floor(at.getTime() / MINUTE_MS)
    this.counts.set(minute, (this.counts.get(minute) ?? 0) + n)
    if (this.counts.size > this.keepMinutes) for (const m of this.counts.keys()) if (m <= minute - this.keepMinutes) this.counts.delete(m)
  }

  /** The count for the minute that holds `minute`. */
  get(minute: Date): number {
    return this.counts.get(Math.floor(minute.getTime() / MINUTE_MS)) ?? 0
  }

  /** The total over the `minutes` minutes up to and including the one holding `now`. */
  total(now: Date, minutes: number): number {
    const last = Math.floor(now.getTime() / MINUTE_MS)
    let sum = 0
    for (const [m, n] of this.counts) if (m > last - minutes && m <= last) sum += n
    return sum
  }
}

export function createMetrics(options: { defaults?: boolean } = {}) {
  const registry = new Registry()
  if (options.defaults) collectDefaultMetrics({ register: registry, prefix: 'inhook_' })
  return {
    registry,
    requests: new Counter({
      name: 'inhook_ingest_requests_total',
      help: 'Ingest requests by source and outcome (accepted, duplicate, rejected, too_large, rate_limited, forbidden, unavailable, challenge, not_found, method_not_allowed)',
      labelNames: ['source', 'outcome', 'reason'] as const,
      registers: [registry],
    }),
    ingestSeconds: new Histogram({
      name: 'inhook_ingest_duration_seconds',
      help: 'Time from request to acknowledgement, for stored deliveries',
      labelNames: ['source'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    bodyMemoryBytes: new Gauge({ name: 'inhook_body_memory_bytes', help: 'Bytes reserved by request bodies being read, verified or stored (server.bodyMemoryLimit bounds it)', registers: [registry] }),
    bodyMemoryWaiting: new Gauge({ name: 'inhook_body_memory_waiting', help: 'Requests waiting for room under server.bodyMemoryLimit', registers: [registry] }),
    bodyMemoryWaits: new Counter({ name: 'inhook_body_memory_waits_total', help: 'Requests that had to wait for room under server.bodyMemoryLimit', registers: [registry] }),
    batchSize: new Histogram({
      name: 'inhook_group_commit_batch_size',
      help: 'Writes committed per group-commit transaction',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [registry],
    }),
    processingSeconds: new Histogram({
      name: 'inhook_processing_duration_seconds',
      help: 'Time a handler or forward took, by source and outcome',
      labelNames: ['source', 'outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'inhook_processing_attempts_total',
      help: 'Processing attempts by source and outcome (processed, retry, failed)',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    }),
    eventsByStatus: new Gauge({ name: 'inhook_events', help: 'Stored events by source and status', labelNames: ['source', 'status'] as const, registers: [registry] }),
    queueDepth: new Gauge({ name: 'inhook_queue_depth', help: 'Events due for processing now', registers: [registry] }),
    oldestDueSeconds: new Gauge({ name: 'inhook_queue_oldest_due_seconds', help: 'Age of the oldest due event', registers: [registry] }),
    /** Duplicate deliveries per minute (the console's traffic chart; duplicates are not stored). */
    duplicatesPerMinute: new MinuteCounter(),
  }
}
