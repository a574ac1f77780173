// Checkpoints the WAL from a worker thread with its own connection, so the thread that commits (the
// HTTP thread) never copies pages into the database file nor waits for their fsync in the middle of
// serving requests. Its own wal_autocheckpoint stays on, far higher, as a safety net.
import type Database from 'better-sqlite3'
import { closeSync, openSync, statSync } from 'node:fs'
import { Worker } from 'node:worker_threads'

export interface CheckpointerOptions {
  /**
   * How often the thread checkpoints (default: 1000; every 100 ms gave a worse p99 and no more
   * throughput, README § Performance). Sooner when the WAL grows fast (PACE in checkpoint-pace.mjs).
   */
  intervalMs?: number
  /** WAL size beyond which the thread waits for the writer to make the WAL start over (default: 64 MiB). */
  restartBytes?: number
  /**
   * Shared with the append thread (see RESTART_GATE in checkpointer-thread.mjs): while the thread
   * makes the WAL start over, the append thread does not touch the database.
   */
  restartGate?: SharedArrayBuffer
  /**
   * Told when a checkpoint fails (`stopped: false`: the thread tries again at its next tick; a failure
   * with the same message as the last one is not told again) or when the thread itself stopped
   * (`stopped: true`: the writing connections' own checkpoints, past SAFETY_NET_BYTES of WAL, are all that is left).
   */
  onError?: (error: Error, stopped: boolean) => void
}

/** The shared memory of a restart gate: two Int32 slots. */
export const newRestartGate = () => new SharedArrayBuffer(8)

/**
 * WAL size (bytes) at which the writing connection checkpoints by itself, inside a commit, should the
 * thread fall behind. The thread paces its ticks to keep the WAL under half of it (checkpoint-pace.mjs).
 */
const SAFETY_NET_BYTES = 256 * 2 ** 20

/**
 * The descriptors through which the checkpointer threads sync database files (FLUSH_FIRST in
 * checkpointer-thread.mjs): one per file per process, shared by the stores on it. Closing any descriptor
 * of a file drops every POSIX lock the process holds on that file, SQLite's included, after which
 * another process could believe itself the last one open and delete the WAL. So a descriptor is opened
 * once, and closed only after the last store using it has closed its own connections.
 */
const syncDescriptors = new Map<string, { fd: number; users: number }>()

/** The key of `file`'s descriptor in syncDescriptors, opened if needed, counting one more user. */
function acquireSyncDescriptor(file: string): string | undefined {
  try {
    const { dev, ino } = statSync(file)
    const key = `${dev}:${ino}`
    const held = syncDescriptors.get(key)
    if (held) held.users++
    else syncDescriptors.set(key, { fd: openSync(file, 'r'), users: 1 })
    return key
  } catch {
    return undefined // the RESTART then syncs everything itself, as it always can
  }
}

export class Checkpointer {
  private readonly thread: Worker
  private syncKey: string | undefined
  private readonly exited: Promise<void>
  private stopping = false
  /** The last error the thread reported (it keeps trying). */
  lastError?: string
  /** RESTART checkpoints that made the WAL start over, and how many of them synced the files ahead (FLUSH_FIRST in checkpointer-thread.mjs). */
  readonly stats = { restarts: 0, flushedFirst: 0 }

  /** Starts checkpointing `client`'s database file; turns the connection's own checkpoints into a safety net. */
  constructor(client: Database.Database, { intervalMs = 1000, restartBytes = 64 * 2 ** 20, restartGate, onError }: CheckpointerOptions = {}) {
    const pageSize = client.pragma('page_size', { simple: true }) as number
    this.syncKey = acquireSyncDescriptor(client.name)
    const safetyNetPages = Math.ceil(SAFETY_NET_BYTES / pageSize)
    client.pragma(`wal_autocheckpoint = ${safetyNetPages}`)
    this.thread = new Worker(new URL('./checkpointer-thread.mjs', import.meta.url), {
      workerData: {
        file: client.name,
        synchronous: client.pragma('synchronous', { simple: true }),
        busyTimeoutMs: client.pragma('busy_timeout', { simple: true }),
        intervalMs,
        restartPages: Math.ceil(restartBytes / pageSize),
        safetyNetPages,
        restartGate,
        databaseFd: this.syncKey && syncDescriptors.get(this.syncKey)!.fd,
      },
    })
    this.thread.unref()
    this.thread.on('message', (m: { error?: string; restarted?: true; flushed?: boolean }) => {
      if (m.error) {
        if (m.error !== this.lastError) onError?.(new Error(m.error), false)
        this.lastError = m.error
      }
      if (m.restarted) {
        this.stats.restarts++
        if (m.flushed) this.stats.flushedFirst++
      }
    })
    this.thread.on('error', (thrown: unknown) => {
      const error = thrown instanceof Error ? thrown : new Error(`the checkpointer thread failed: ${JSON.stringify(thrown)}`)
      this.lastError = error.message
      if (!this.stopping) onError?.(error, true)
    })
    this.exited = new Promise((resolve) => this.thread.once('exit', () => resolve()))
  }

  /**
   * Gives up the descriptor the thread synced the database file through; call it once the store's own
   * connections to the file are closed (see syncDescriptors).
   */
  release(): void {
    const key = this.syncKey
    this.syncKey = undefined
    const held = key && syncDescriptors.get(key)
    if (!held || --held.users > 0) return
    syncDescriptors.delete(key)
    closeSync(held.fd)
  }

  /** Stops the thread and closes its connection (not the descriptor: see release). */
  async stop(): Promise<void> {
    this.stopping = true
    this.thread.postMessage('stop')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, 2000)))])
    clearTimeout(timer)
    await this.thread.terminate()
  }
}
