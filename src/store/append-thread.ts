// Appends off the HTTP thread. A worker thread with its own connection inserts and commits the
// deliveries; the HTTP thread only packs each event-loop turn's rows into one message and settles the
// callers' promises when the thread answers that their batch has committed. While the thread commits one
// batch, the next one gathers (one batch in flight), so batches grow with the load.
//
// Why: on the HTTP thread, SQLite's insert and commit were a third of each request's CPU, and the
// process was bound by that one thread while the machine's other core sat partly idle. The packing
// costs about a microsecond a row: all string fields travel as one string, the bodies as one
// transferred buffer (see `npm run bench`, README § Performance). The thread hands that buffer back
// with its answer and the next batch reuses it: left to the thread's garbage collector, which its few
// allocations seldom wake, dead batches of bodies held ~30 MiB of RSS with 20 KB bodies at saturation.
import { Worker } from 'node:worker_threads'
import type { NewWebhookEvent } from './store.ts'
import { StorageError } from './writer.ts'

/** Stores an event's headers and body, in the transaction that inserted the event (here and in SqliteStore.append). */
export const INSERT_PAYLOAD_SQL = `INSERT INTO payloads (event_id, headers, body) VALUES (?, ?, ?)`

/** The thread's insert; parameters in the order the batch carries them (the last string field and the body go to payloads). */
const INSERT_SQL = `INSERT INTO events (source, provider, type, delivery_id, method, path, query, client_ip, body_bytes, received_at, occurred_at, next_attempt_at, status, attempts, blocked)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', 0, 0) ON CONFLICT DO NOTHING RETURNING id`
const STRING_FIELDS = 9
/** Batch buffers grow by this much, and one larger than MAX_SPARE_BYTES (a burst of large bodies) is not kept. */
const BUFFER_STEP = 64 * 1024
const MAX_SPARE_BYTES = 16 * 2 ** 20
const NUMBERS_PER_ROW = STRING_FIELDS + 3

export interface AppendThreadOptions {
  file: string
  synchronous: number
  busyTimeoutMs: number
  /** The connection's wal_autocheckpoint: the same as the main connection's. */
  autocheckpointPages: number
  /** Shared with the checkpointer thread: the thread keeps off the database while a RESTART checkpoint runs (RESTART_GATE in checkpointer-thread.mjs). */
  restartGate?: SharedArrayBuffer
  /** Told the size of each committed batch (metrics). */
  onBatch?: (size: number) => void
  /** Told when the thread stops unasked (appends then go through the store's own connection). */
  onDeath?: (error: Error) => void
}

interface Queued {
  event: NewWebhookEvent
  headers: string
  resolve: (id: number) => void
  reject: (error: unknown) => void
}

export class AppendThread {
  private readonly thread: Worker
  private queue: Queued[] = []
  /** The batch the thread is committing: one at a time, the next one gathers meanwhile. */
  private inFlight: Queued[] | undefined
  private scheduled = false
  /** The buffer of a committed batch's bodies, handed back for the next batch to fill. */
  private spare: ArrayBuffer | undefined
  /** Waiting for the batch in flight to be answered (WriteGate). */
  private idle: (() => void)[] = []
  private pragmas: { resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = []
  private closing: Promise<void> | undefined
  private dead: Error | undefined
  private readonly exited: Promise<void>
  private drained: (() => void) | undefined
  /** Settles once the thread has opened its connection (or has died trying). */
  readonly started: Promise<void>
  private start!: () => void

  constructor(private readonly options: AppendThreadOptions) {
    this.thread = new Worker(new URL('./append-thread-worker.mjs', import.meta.url), {
      workerData: { file: options.file, insertSql: INSERT_SQL, insertPayloadSql: INSERT_PAYLOAD_SQL, synchronous: options.synchronous, busyTimeoutMs: options.busyTimeoutMs, autocheckpointPages: options.autocheckpointPages, stringFields: STRING_FIELDS, restartGate: options.restartGate },
    })
    this.started = new Promise((resolve) => (this.start = resolve))
    this.thread.on('message', this.answered)
    this.thread.on('error', (error) => this.die(error))
    this.exited = new Promise((resolve) => this.thread.once('exit', () => resolve()))
    this.thread.once('exit', (code) => this.die(new Error(`the append thread exited (code ${code})`)))
  }

  /** False once the thread has died or is closing: the store then appends on its own connection. */
  get usable(): boolean {
    return !this.dead && !this.closing
  }

  /** True while a batch is being committed (WriteGate). */
  busy(): boolean {
    return this.inFlight !== undefined
  }

  /** Runs `then` once the batch being committed is answered, before the next one is sent (WriteGate). */
  whenIdle(then: () => void): void {
    if (!this.busy()) return then()
    this.idle.push(then)
  }

  /** Runs a pragma on the thread's connection (e.g. max_page_count, which is per connection); resolves with its first value. */
  pragma(pragma: string): Promise<unknown> {
    if (!this.usable) return Promise.reject(new StorageError('the append thread is not running'))
    return new Promise((resolve, reject) => {
      this.pragmas.push({ resolve, reject })
      this.thread.postMessage({ pragma })
    })
  }

  /** Queues the delivery for the next batch; resolves with its id (0: a duplicate) once committed. */
  append(event: NewWebhookEvent): Promise<number> {
    if (!this.usable) return Promise.reject(new StorageError('the append thread is not running'))
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ event, headers: JSON.stringify(event.headers), resolve, reject })
      this.schedule()
    })
  }

  private schedule() {
    if (this.scheduled || this.inFlight) return
    this.scheduled = true
    setImmediate(this.send)
  }

  private readonly send = (): void => {
    this.scheduled = false
    if (this.inFlight || this.queue.length === 0) return
    const batch = this.queue
    this.queue = []
    const numbers = new Float64Array(batch.length * NUMBERS_PER_ROW)
    let bodyBytes = 0
    for (const q of batch) bodyBytes += q.event.body.byteLength
    const bodies = new Uint8Array(this.takeBuffer(bodyBytes), 0, bodyBytes)
    let text = ''
    let n = 0
    let b = 0
    const field = (value: string | undefined) => {
      if (value === undefined) numbers[n++] = -1
      else {
        numbers[n++] = value.length
        text += value
      }
    }
    for (const { event: e, headers } of batch) {
      field(e.source)
      field(e.provider)
      field(e.type)
      field(e.deliveryId)
      field(e.method)
      field(e.path)
      field(e.query)
      field(e.clientIp)
      field(headers)
      numbers[n++] = e.receivedAt.getTime()
      numbers[n++] = e.occurredAt?.getTime() ?? -1
      numbers[n++] = e.body.byteLength
      bodies.set(e.body, b)
      b += e.body.byteLength
    }
    this.inFlight = batch
    this.thread.postMessage({ count: batch.length, text, numbers, bodies: bodies.buffer }, [numbers.buffer, bodies.buffer])
  }

  /** A buffer of at least `bytes` for a batch's bodies: the spare one if it is large enough. */
  private takeBuffer(bytes: number): ArrayBuffer {
    const spare = this.spare
    this.spare = undefined
    if (spare && spare.byteLength >= bytes) return spare
    // Rounded up, so that batches a little larger than the last one fit too.
    return new ArrayBuffer(Math.ceil(bytes / BUFFER_STEP) * BUFFER_STEP)
  }

  private readonly answered = (message: 'ready' | { pragma?: true; value?: unknown; ids?: Float64Array; bodies?: ArrayBuffer; error?: string; code?: string }): void => {
    if (message === 'ready') return this.start()
    if (message.bodies && message.bodies.byteLength <= MAX_SPARE_BYTES) this.spare = message.bodies
    if (message.pragma) {
      const p = this.pragmas.shift()
      return message.error ? p?.reject(new StorageError(message.error)) : p?.resolve(message.value)
    }
    const batch = this.inFlight
    this.inFlight = undefined
    if (!batch) return
    if (message.ids) {
      this.options.onBatch?.(batch.length)
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(message.ids[i]!)
    } else {
      const error = new StorageError(`could not commit ${batch.length} write(s): ${message.error}`, { cause: Object.assign(new Error(message.error), { code: message.code }) })
      for (const q of batch) q.reject(error)
    }
    const idle = this.idle
    this.idle = []
    for (const then of idle) then()
    if (this.queue.length) this.schedule()
    else this.drained?.()
  }

  private die(error: Error) {
    if (this.dead) return
    this.dead = error
    if (!this.closing) this.options.onDeath?.(error)
    this.start()
    const failure = new StorageError(`could not commit: ${error.message}`, { cause: error })
    for (const q of [...(this.inFlight ?? []), ...this.queue, ...this.pragmas]) q.reject(failure)
    this.inFlight = undefined
    this.pragmas = []
    const idle = this.idle
    this.idle = []
    for (const then of idle) then()
    this.queue = []
    this.drained?.()
  }

  /** Commits what is queued, then stops the thread and closes its connection. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      if (!this.dead && (this.inFlight || this.queue.length)) {
        await new Promise<void>((resolve) => {
          this.drained = resolve
          this.schedule()
        })
      }
      if (!this.dead) this.thread.postMessage('close')
      let timer: NodeJS.Timeout | undefined
      await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, 2000)))])
      clearTimeout(timer)
      await this.thread.terminate()
    })())
  }
}
