// The loop: claim due events with a lease → run each → mark. Woken on each insert, polling as a fallback.
// Prunes finished events on a timer when given a retention policy.
import { setMaxListeners } from 'node:events'
import type { Logger } from 'pino'
import type { RetentionConfig } from '../config.ts'
import type { ClaimOptions, Store, WebhookEvent } from '../store/store.ts'
import { pruneAll } from './retention.ts'
import { runEvent, type RunOutcome, type WorkerDeps } from './run-event.ts'

/** The first prune runs this soon after start (then every `retention.intervalMs`), so frequent restarts do not postpone it forever. */
export const FIRST_PRUNE_MS = 5_000

export interface WorkerOptions {
  concurrency: number
  batchSize: number
  pollMs: number
  leaseMs: number
  /** Prune finished events every `retention.intervalMs` (default: no pruning). */
  retention?: RetentionConfig
  /** Bodies that claimed events may hold while they wait for a slot (default: CLAIMED_BODY_BYTES). */
  claimedBodyBytes?: number
}

/**
 * Events are claimed ahead of free slots: up to twice `concurrency` more wait claimed, so one claim
 * leases many events, in the same commit as outcomes, instead of one claim per slot as it frees. With
 * `concurrency: 8` and quick handlers: 0.25 → 0.13 commits per event, 12–14k → 16.4k events/s
 * (README § Performance). A waiting event starts only while its lease still covers a whole attempt
 * (`timeoutMs` and this margin); otherwise it is given back. Not with per-source limits, whose claim
 * counts the events running now, nor with a lease shorter than two attempts (`timeoutMs`), nor from
 * AHEAD_BELOW on.
 */
const LEASE_MARGIN_MS = 1000
/**
 * From this concurrency on, a claim for the slots that free at once already leases many events;
 * claiming ahead at 64 measured slower (21.8–23.7k against 25.1–25.6k events/s, 2 pairs).
 */
const AHEAD_BELOW = 32
/**
 * Claimed events waiting for a slot hold at most this much of bodies: past it, a claim leaves bodies
 * unread (ClaimOptions.payloadBytes) and an event's body is read when it starts. GitHub sends bodies
 * of up to 25 MB: the 24 events a worker may hold claimed could hold 600 MB before.
 */
const CLAIMED_BODY_BYTES = 16 * 2 ** 20

export class Worker {
  private readonly running = new Map<string, Promise<unknown>>()
  /** Claimed, waiting for a free slot (oldest first). */
  private readonly ready: WebhookEvent[] = []
  /** How many claimed events may wait for a slot. */
  private readonly ahead: number
  private readonly stopped = new AbortController()
  private readonly deps: WorkerDeps
  private stopping = false
  private woken = false
  private wakeUp: (() => void) | undefined
  private loopDone: Promise<void> | undefined
  private pruneTimer: NodeJS.Timeout | undefined
  private pruning: Promise<unknown> | undefined

  constructor(
    deps: WorkerDeps,
    private readonly options: WorkerOptions,
    private readonly clock: () => Date = () => new Date(),
  ) {
    // Every running event listens on the stop signal (and removes its listener when done): as many
    // listeners as the concurrency, which is not a leak.
    setMaxListeners(0, this.stopped.signal)
    this.deps = { ...deps, signal: this.stopped.signal }
    // Only where a lease is at least two attempts long (the defaults: 60 s and 30 s), so that an event
    // may wait claimed for about one attempt's time and still start with a whole attempt's lease; and
    // only below AHEAD_BELOW, where claims for the free slots alone are small.
    this.ahead = deps.limits || options.leaseMs < 2 * deps.timeoutMs || options.concurrency >= AHEAD_BELOW ? 0 : 2 * options.concurrency
  }

  start(): this {
    if (this.loopDone) return this
    if (this.deps.limits) this.deps.limits.onFree = this.wake
    this.loopDone = this.loop()
    const retention = this.options.retention
    if (retention) {
      this.pruneTimer = setTimeout(() => {
        void this.prune(retention)
        if (this.stopping) return
        this.pruneTimer = setInterval(() => this.prune(retention), retention.intervalMs)
        this.pruneTimer.unref()
      }, Math.min(FIRST_PRUNE_MS, retention.intervalMs))
      this.pruneTimer.unref()
    }
    return this
  }

  /** Tells the loop there may be work now. */
  readonly wake = (): void => {
    this.woken = true
    this.wakeUp?.()
  }

  /** How many events are running now. */
  get active(): number {
    return this.running.size
  }

  /** Prunes now (one run at a time); resolves when done. */
  prune(retention: RetentionConfig): Promise<unknown> {
    this.pruning ??= pruneAll(this.deps.store, retention, this.clock())
      .then((freed) => {
        if (freed.processed + freed.failed + freed.bodies > 0) this.deps.log.info({ ...freed }, 'pruned finished events past their retention')
      })
      .catch((error) => this.deps.log.error({ err: error }, 'could not prune; will try again at the next interval'))
      .finally(() => (this.pruning = undefined))
    return this.pruning
  }

  private async loop(): Promise<void> {
    const { store, log } = this.deps as WorkerDeps & { store: Store; log: Logger }
    const { concurrency, batchSize } = this.options
    const ahead = this.ahead
    while (!this.stopping) {
      this.woken = false
      await this.startReady()
      const room = concurrency + ahead - this.running.size - this.ready.length
      // Claim when slots would sit idle, or when the claim can take all the events it may hold ahead:
      // a claim of 16 costs little more than one of 8.
      const claiming = room > 0 && (this.running.size + this.ready.length < concurrency || room >= ahead)
      let claimedAll = false
      if (claiming) {
        try {
          const limit = Math.min(room, batchSize)
          const claimed = await store.claim({ limit, leaseMs: this.options.leaseMs, now: this.clock(), payloadBytes: this.bodyRoom(), ...claimLimits(this.deps) })
          this.ready.push(...claimed)
          claimedAll = claimed.length === limit
        } catch (error) {
          log.error({ err: error }, 'could not claim events; retrying after the poll interval')
        }
        await this.startReady()
      }
      if (this.stopping) break
      if (claimedAll && this.running.size + this.ready.length < concurrency + ahead) continue
      if (!this.woken) await this.sleep(this.options.pollMs)
    }
  }

  /** Starts claimed events while slots are free; one whose lease would not cover an attempt goes back. */
  private async startReady(): Promise<void> {
    const late: WebhookEvent[] = []
    const now = this.clock().getTime()
    while (this.ready.length > 0 && this.running.size < this.options.concurrency) {
      const event = this.ready.shift()!
      if (this.ahead && event.leaseUntil && event.leaseUntil.getTime() - now < this.deps.timeoutMs + LEASE_MARGIN_MS) {
        late.push(event)
        continue
      }
      const run = (event.payloadDeferred ? this.runWhole(event) : runEvent(this.deps, event, this.clock)).finally(() => {
        this.running.delete(event.id)
        this.wake()
      })
      this.running.set(event.id, run)
    }
    if (late.length) await this.giveBack(late.map((e) => e.id))
  }

  /** What the next claim may read of bodies: `claimedBodyBytes` less what the waiting events hold. */
  private bodyRoom(): number {
    let held = 0
    for (const event of this.ready) held += event.body.byteLength
    return Math.max(0, (this.options.claimedBodyBytes ?? CLAIMED_BODY_BYTES) - held)
  }

  /** Reads a claimed event's headers and body, then runs it (under its claim's lease). */
  private async runWhole({ payloadDeferred: _, ...event }: WebhookEvent): Promise<unknown> {
    let whole: WebhookEvent | undefined
    try {
      whole = await this.deps.store.get(event.id)
    } catch (error) {
      this.deps.log.error({ err: error, id: event.id }, 'could not read a claimed event; giving it back')
      return this.giveBack([event.id])
    }
    if (!whole) return undefined // deleted meanwhile: nothing to run
    return runEvent(this.deps, { ...event, headers: whole.headers, body: whole.body }, this.clock)
  }

  private giveBack(ids: string[]): Promise<void> {
    return this.deps.store.release(ids, this.clock()).catch((error) => this.deps.log.error({ err: error }, 'could not release events; their leases will expire'))
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wakeUp = () => {
        this.wakeUp = undefined
        done()
      }
    })
  }

  /**
   * Stops claiming; lets running events finish within `graceMs`, then gives the rest back
   * (status new, due now) so another worker or the next start runs them.
   */
  async stop(graceMs: number): Promise<{ finished: number; released: number }> {
    this.stopping = true
    clearTimeout(this.pruneTimer) // the first timeout or the interval after it
    this.wakeUp?.()
    await this.loopDone
    // Claimed but not started: back at once, not after the running ones.
    const unstarted = this.ready.splice(0).map((event) => event.id)
    const givingBack = unstarted.length ? this.giveBack(unstarted) : undefined
    const pending = [...this.running.keys()]
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.allSettled(this.running.values()), new Promise((r) => (timer = setTimeout(r, graceMs)))])
    clearTimeout(timer)
    const left = [...this.running.keys()]
    // Events still waiting for their source's limit give up; running handlers see ctx.signal abort.
    this.stopped.abort(new Error('the worker is stopping'))
    await givingBack
    if (left.length) await this.giveBack(left)
    await this.pruning
    return { finished: pending.length - left.length, released: unstarted.length + left.length }
  }
}

/** The per-source forwarding limits as claim options: full sources skipped, the others capped at their free places. */
const claimLimits = (deps: WorkerDeps): Pick<ClaimOptions, 'excludeSources' | 'maxPerSource'> =>
  deps.limits ? { excludeSources: deps.limits.saturated(), maxPerSource: deps.limits.capacities() } : {}

export type DrainTotals = Record<RunOutcome, number>

/**
 * Claims and runs everything due right now, then returns (`inhook worker --once`, tests). Claims again
 * whenever a place frees, so the next event of an ordered key runs as soon as the previous one is done.
 */
export async function drain(deps: WorkerDeps, options: Omit<WorkerOptions, 'pollMs' | 'retention'>, clock: () => Date = () => new Date()): Promise<DrainTotals> {
  const totals: DrainTotals = { processed: 0, retry: 0, failed: 0, released: 0, unrecorded: 0 }
  const running = new Set<Promise<void>>()
  const start = (event: WebhookEvent) => {
    const run: Promise<void> = runEvent(deps, event, clock).then((outcome) => {
      totals[outcome]++
      running.delete(run)
    })
    running.add(run)
  }
  for (;;) {
    const free = options.concurrency - running.size
    const claimed = free > 0 ? await deps.store.claim({ limit: Math.min(free, options.batchSize), leaseMs: options.leaseMs, now: clock(), ...claimLimits(deps) }) : []
    claimed.forEach(start)
    if (running.size === 0) return totals
    // Claim more while there is room and there was work; otherwise wait for one to finish (it may unblock the next of its key).
    if (claimed.length === 0 || running.size >= options.concurrency) await Promise.race(running)
  }
}
