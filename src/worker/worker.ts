// The loop: claim due events with a lease → run each → mark. Woken on each insert, polling as a fallback.
import type { Logger } from 'pino'
import type { Store } from '../store/store.ts'
import { runEvent, type WorkerDeps } from './run-event.ts'

export interface WorkerOptions {
  concurrency: number
  batchSize: number
  pollMs: number
  leaseMs: number
}

export class Worker {
  private readonly running = new Map<string, Promise<unknown>>()
  private stopping = false
  private woken = false
  private wakeUp: (() => void) | undefined
  private loopDone: Promise<void> | undefined

  constructor(
    private readonly deps: WorkerDeps,
    private readonly options: WorkerOptions,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  start(): this {
    this.loopDone ??= this.loop()
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

  private async loop(): Promise<void> {
    const { store, log } = this.deps as WorkerDeps & { store: Store; log: Logger }
    while (!this.stopping) {
      this.woken = false
      const free = this.options.concurrency - this.running.size
      let claimedAll = false
      if (free > 0) {
        try {
          const limit = Math.min(free, this.options.batchSize)
          const claimed = await store.claim({ limit, leaseMs: this.options.leaseMs, now: this.clock() })
          for (const event of claimed) {
            const run = runEvent(this.deps, event, this.clock).finally(() => {
              this.running.delete(event.id)
              this.wake()
            })
            this.running.set(event.id, run)
          }
          claimedAll = claimed.length === limit
        } catch (error) {
          log.error({ err: error }, 'could not claim events; retrying after the poll interval')
        }
      }
      if (this.stopping) break
      if (claimedAll && this.running.size < this.options.concurrency) continue
      if (!this.woken) await this.sleep(this.options.pollMs)
    }
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
    this.wakeUp?.()
    await this.loopDone
    const pending = [...this.running.keys()]
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.allSettled(this.running.values()), new Promise((r) => (timer = setTimeout(r, graceMs)))])
    clearTimeout(timer)
    const left = [...this.running.keys()]
    if (left.length) await this.deps.store.release(left, this.clock()).catch((error) => this.deps.log.error({ err: error }, 'could not release events; their leases will expire'))
    return { finished: pending.length - left.length, released: left.length }
  }
}

/** Claims and runs everything due right now, then returns (`inhook worker --once`, tests). */
export async function drain(deps: WorkerDeps, options: Omit<WorkerOptions, 'pollMs'>, clock: () => Date = () => new Date()): Promise<{ processed: number; retry: number; failed: number }> {
  const totals = { processed: 0, retry: 0, failed: 0 }
  for (;;) {
    const claimed = await deps.store.claim({ limit: options.batchSize, leaseMs: options.leaseMs, now: clock() })
    if (claimed.length === 0) return totals
    const queue = [...claimed]
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, queue.length) }, async () => {
        for (let event = queue.shift(); event; event = queue.shift()) totals[await runEvent(deps, event, clock)]++
      }),
    )
  }
}
