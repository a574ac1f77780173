// Retention: finished events are deleted after their status's number of days, bodies of processed events
// optionally earlier. The worker prunes every `intervalMs` in small batches (one short transaction each,
// yielding between them) so ingest is never blocked for long; `inhook prune` does the same now.
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { RetentionConfig } from '../config.ts'
import type { PruneResult, RetentionCutoffs, Store } from '../store/store.ts'

const DAY_MS = 86_400_000

export type RetentionPolicy = Pick<RetentionConfig, 'processedDays' | 'failedDays' | 'processedBodyDays'> & Partial<Pick<RetentionConfig, 'batchSize'>>

export function retentionCutoffs(policy: RetentionPolicy, now: Date): RetentionCutoffs {
  const before = (days: number | false) => (days === false ? undefined : new Date(now.getTime() - days * DAY_MS))
  return { processedBefore: before(policy.processedDays), failedBefore: before(policy.failedDays), processedBodiesBefore: before(policy.processedBodyDays) }
}

/** Prunes everything past the policy's cutoffs, batch after batch. `dryRun`: counts what would go. */
export async function pruneAll(store: Pick<Store, 'prune'>, policy: RetentionPolicy, now: Date, options: { dryRun?: boolean; onBatch?: (total: PruneResult) => void } = {}): Promise<PruneResult> {
  const cutoffs = retentionCutoffs(policy, now)
  if (options.dryRun) return store.prune(cutoffs, { limit: Number.MAX_SAFE_INTEGER, dryRun: true })
  const limit = policy.batchSize ?? 500
  const total: PruneResult = { processed: 0, failed: 0, bodies: 0, bytes: 0 }
  for (;;) {
    const batch = await store.prune(cutoffs, { limit })
    total.processed += batch.processed
    total.failed += batch.failed
    total.bodies += batch.bodies
    total.bytes += batch.bytes
    options.onBatch?.(total)
    if (batch.processed < limit && batch.failed < limit && batch.bodies < limit) return total
    await nextTurn()
  }
}
