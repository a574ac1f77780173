// The group-commit writer: work queued in the same event-loop turn shares one transaction;
// each caller's promise settles when that transaction has committed (or failed).
import type Database from 'better-sqlite3'

/** A write that could not be committed (disk full, read-only file, locked beyond busy_timeout, closed). */
export class StorageError extends Error {
  override name = 'StorageError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

interface Pending<T> {
  work: () => T
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

export interface WriterStats {
  batches: number
  writes: number
  lastBatchSize: number
  /** The error of the last failed commit, cleared by the next successful one. */
  lastError?: string
}

export class GroupCommitWriter {
  private queue: Pending<any>[] = []
  private scheduled = false
  private closed = false
  readonly stats: WriterStats = { batches: 0, writes: 0, lastBatchSize: 0 }

  /** `onBatch` is told the size of each committed batch (metrics). */
  constructor(
    private readonly client: Database.Database,
    private readonly onBatch: (size: number) => void = () => {},
  ) {}

  /** Queues `work` (synchronous SQL) for the next shared transaction; resolves with its result after commit. */
  run<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StorageError('the database is closed'))
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(this.flush)
      }
    })
  }

  /** Commits everything queued now. */
  readonly flush = (): void => {
    this.scheduled = false
    const batch = this.queue
    if (batch.length === 0) return
    this.queue = []
    const results: unknown[] = new Array(batch.length)
    try {
      this.client.transaction(() => {
        for (let i = 0; i < batch.length; i++) results[i] = batch[i]!.work()
      }).immediate()
    } catch (error) {
      const failure = new StorageError(`could not commit ${batch.length} write(s): ${(error as Error).message}`, { cause: error })
      this.stats.lastError = failure.message
      for (const p of batch) p.reject(failure)
      return
    }
    this.stats.batches++
    this.stats.writes += batch.length
    this.stats.lastBatchSize = batch.length
    this.stats.lastError = undefined
    this.onBatch(batch.length)
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i])
  }

  /** Commits what is queued and refuses further work. */
  close(): void {
    this.flush()
    this.closed = true
  }
}
