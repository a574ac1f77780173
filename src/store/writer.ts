// The group-commit writer: work queued in the same event-loop turn shares one transaction;
// each caller's promise settles when that transaction has committed (or failed).
//
// With synchronous=FULL the commit itself does not fsync: the connection runs at NORMAL and the writer
// fsyncs the WAL file on the libuv thread pool after each commit, settling callers only once that
// fsync has returned. Same guarantee (an acknowledged write survives power loss), but the event loop
// never stops for an fsync, and commits made while one is in flight share the next.
import type Database from 'better-sqlite3'
import { closeSync, fdatasync, openSync } from 'node:fs'

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
  /** Attempts at the write lock that found it held by another connection (each followed by a short wait). */
  lockWaits: number
  /** The error of the last failed commit, cleared by the next successful one. */
  lastError?: string
}

/** Between two attempts at the write lock while another connection (a checkpoint, another process) holds it. */
const LOCK_RETRY_MS = 1

/** Another writer of this process that the group-commit writer takes turns with instead of polling the lock. */
export interface WriteGate {
  /** True while the other writer holds (or is about to take) the write lock. */
  busy(): boolean
  /** Calls `then` once, as soon as the other writer has committed, before it writes again. */
  whenIdle(then: () => void): void
}

export class GroupCommitWriter {
  private queue: Pending<any>[] = []
  private scheduled = false
  private closed = false
  /** When the current wait for the write lock began. */
  private waitingSince: number | undefined
  private readonly busyTimeoutMs: number
  private readonly restoreBusyTimeout: string
  private readonly sql
  /** FULL durability through the writer's own WAL fsyncs (see the top of this file). */
  private readonly durable: boolean
  private walFd: number | undefined
  private syncing = false
  /** Committed batches waiting for the next fsync of the WAL. */
  private unsynced: { settle: () => void; fail: (error: unknown) => void }[] = []
  readonly stats: WriterStats = { batches: 0, writes: 0, lastBatchSize: 0, lockWaits: 0 }
  /** See WriteGate (set by the store when it appends on a thread). */
  gate: WriteGate | undefined

  /** `onBatch` is told the size of each committed batch (metrics). */
  constructor(
    private readonly client: Database.Database,
    private readonly onBatch: (size: number) => void = () => {},
  ) {
    this.busyTimeoutMs = client.pragma('busy_timeout', { simple: true }) as number
    this.restoreBusyTimeout = `PRAGMA busy_timeout = ${this.busyTimeoutMs}`
    this.durable = !client.memory && !client.readonly && (client.pragma('synchronous', { simple: true }) as number) >= 2
    if (this.durable) client.pragma('synchronous = NORMAL')
    this.sql = {
      begin: client.prepare('BEGIN IMMEDIATE'),
      commit: client.prepare('COMMIT'),
      rollback: client.prepare('ROLLBACK'),
    }
  }

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

  /** Commits everything queued now (or, when another connection holds the write lock, retries shortly). */
  readonly flush = (): void => {
    this.scheduled = false
    const batch = this.queue
    if (batch.length === 0) return
    if (this.gate?.busy()) {
      // The append thread is committing: go right after it, rather than fail to lock and poll.
      this.scheduled = true
      this.gate.whenIdle(this.flush)
      return
    }
    let locked: boolean
    try {
      locked = this.lock()
    } catch (error) {
      this.queue = []
      this.fail(batch, error)
      return
    }
    if (!locked) {
      // Wait without blocking the event loop: requests keep being read and verified meanwhile, and
      // join this batch. Only past busy_timeout does the batch fail.
      this.stats.lockWaits++
      this.waitingSince ??= Date.now()
      if (Date.now() - this.waitingSince < this.busyTimeoutMs) {
        this.scheduled = true
        setTimeout(this.flush, LOCK_RETRY_MS)
        return
      }
      this.waitingSince = undefined
      this.queue = []
      this.fail(batch, new Error(`database is locked (waited ${this.busyTimeoutMs} ms)`))
      return
    }
    this.waitingSince = undefined
    this.queue = []
    const results: unknown[] = new Array(batch.length)
    try {
      for (let i = 0; i < batch.length; i++) results[i] = batch[i]!.work()
      this.sql.commit.run()
    } catch (error) {
      if (this.client.inTransaction) this.sql.rollback.run()
      this.fail(batch, error)
      return
    }
    this.stats.batches++
    this.stats.writes += batch.length
    this.stats.lastBatchSize = batch.length
    this.stats.lastError = undefined
    this.onBatch(batch.length)
    const settle = () => {
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i])
    }
    if (!this.durable) return settle()
    this.unsynced.push({ settle, fail: (error) => this.fail(batch, error) })
    this.sync()
  }

  /** fsyncs the WAL for every batch committed so far; batches committed meanwhile wait for the next one. */
  private sync(): void {
    if (this.syncing || this.unsynced.length === 0) return
    const group = this.unsynced
    this.unsynced = []
    try {
      this.walFd ??= openSync(`${this.client.name}-wal`, 'r+')
    } catch (error) {
      for (const g of group) g.fail(error)
      return
    }
    this.syncing = true
    fdatasync(this.walFd, (error) => {
      this.syncing = false
      for (const g of group) error ? g.fail(error) : g.settle()
      if (this.closed && this.unsynced.length === 0) this.closeWal()
      else this.sync()
    })
  }

  private closeWal() {
    if (this.walFd === undefined) return
    closeSync(this.walFd)
    this.walFd = undefined
  }

  /** BEGIN IMMEDIATE without waiting: false when another connection holds the write lock. */
  private lock(): boolean {
    // Not a prepared statement: this pragma takes effect when it is prepared, not when it runs. exec, not
    // pragma(): the same statement without a Statement object and a result array per commit.
    this.client.exec('PRAGMA busy_timeout = 0')
    try {
      this.sql.begin.run()
      return true
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false
      throw error
    } finally {
      this.client.exec(this.restoreBusyTimeout)
    }
  }

  private fail(batch: Pending<unknown>[], error: unknown) {
    const failure = new StorageError(`could not commit ${batch.length} write(s): ${(error as Error).message}`, { cause: error })
    this.stats.lastError = failure.message
    for (const p of batch) p.reject(failure)
  }

  /** Commits what is queued and refuses further work. */
  close(): void {
    this.flush()
    this.closed = true
    if (!this.syncing) this.closeWal()
  }
}
