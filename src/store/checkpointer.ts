// Checkpoints the WAL from a worker thread with its own connection, so the thread that commits (the
// HTTP thread) never copies pages into the database file nor waits for their fsync in the middle of
// serving requests. Its own wal_autocheckpoint stays on, far higher, as a safety net.
import type Database from 'better-sqlite3'
import { Worker } from 'node:worker_threads'

export interface CheckpointerOptions {
  /** How often the thread checkpoints (default: 1000; every 100 ms gave a worse p99 and no more throughput, README § Performance). */
  intervalMs?: number
  /** WAL size beyond which the thread waits for the writer to make the WAL start over (default: 64 MiB). */
  restartBytes?: number
  /**
   * Shared with the append thread (see RESTART_GATE in checkpointer-thread.mjs): while the thread
   * makes the WAL start over, the append thread does not touch the database.
   */
  restartGate?: SharedArrayBuffer
}

/** The shared memory of a restart gate: two Int32 slots. */
export const newRestartGate = () => new SharedArrayBuffer(8)

/** WAL size (bytes) at which the writing connection checkpoints by itself, should the thread fall behind. */
const SAFETY_NET_BYTES = 256 * 2 ** 20

export class Checkpointer {
  private readonly thread: Worker
  private readonly exited: Promise<void>
  /** The last error the thread reported (it keeps trying). */
  lastError?: string

  /** Starts checkpointing `client`'s database file; turns the connection's own checkpoints into a safety net. */
  constructor(client: Database.Database, { intervalMs = 1000, restartBytes = 64 * 2 ** 20, restartGate }: CheckpointerOptions = {}) {
    const pageSize = client.pragma('page_size', { simple: true }) as number
    client.pragma(`wal_autocheckpoint = ${Math.ceil(SAFETY_NET_BYTES / pageSize)}`)
    this.thread = new Worker(new URL('./checkpointer-thread.mjs', import.meta.url), {
      workerData: {
        file: client.name,
        synchronous: client.pragma('synchronous', { simple: true }),
        busyTimeoutMs: client.pragma('busy_timeout', { simple: true }),
        intervalMs,
        restartPages: Math.ceil(restartBytes / pageSize),
        restartGate,
      },
    })
    this.thread.unref()
    this.thread.on('message', (m: { error?: string }) => (this.lastError = m.error))
    this.thread.on('error', (error) => (this.lastError = error.message))
    this.exited = new Promise((resolve) => this.thread.once('exit', () => resolve()))
  }

  /** Stops the thread and closes its connection. */
  async stop(): Promise<void> {
    this.thread.postMessage('stop')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, 2000)))])
    clearTimeout(timer)
    await this.thread.terminate()
  }
}
