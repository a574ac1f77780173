// Per-source forwarding limits: deliveries in flight at once, and deliveries started per second, per
// worker process. An event waits for its source's gate before its attempt starts (the wait is not part
// of the attempt's timeout); the claim takes no more events of a source than its gate can start now,
// so one busy source does not take every worker slot from the others.
import type { SourceConfig } from '../config.ts'

export interface SourceLimit {
  concurrency?: number
  ratePerSecond?: number
}

class Gate {
  private active = 0
  private readonly waiting: (() => void)[] = []
  private pacing = 0
  private nextStartMs = 0

  constructor(
    private readonly limit: SourceLimit,
    private readonly onFree: () => void,
  ) {}

  get saturated(): boolean {
    return this.capacity === 0
  }

  /** How many more could start now without waiting: 0 while any wait; at most 1 under a rate. */
  get capacity(): number {
    if (this.waiting.length > 0 || this.pacing > 0) return 0
    const places = Math.max(0, (this.limit.concurrency ?? Infinity) - this.active)
    return this.limit.ratePerSecond ? Math.min(places, 1) : places
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    // A place given back is handed to the first waiter directly, so `active` never overshoots.
    if (this.active >= (this.limit.concurrency ?? Infinity)) await this.wait(signal)
    else this.active++
    try {
      await this.pace(signal)
    } catch (error) {
      this.release()
      throw error
    }
    let released = false
    return () => {
      if (released) return
      released = true
      this.release()
    }
  }

  private wait(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', abort)
        resolve()
      }
      const abort = () => {
        this.waiting.splice(this.waiting.indexOf(wake), 1)
        reject(signal!.reason)
      }
      if (signal?.aborted) return reject(signal.reason)
      signal?.addEventListener('abort', abort, { once: true })
      this.waiting.push(wake)
    })
  }

  /** Spaces starts 1/ratePerSecond apart. */
  private pace(signal?: AbortSignal): Promise<void> {
    if (!this.limit.ratePerSecond) return Promise.resolve()
    const now = Date.now()
    const start = Math.max(now, this.nextStartMs)
    this.nextStartMs = start + 1000 / this.limit.ratePerSecond
    if (start <= now) return Promise.resolve()
    this.pacing++
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', abort)
        resolve()
      }, start - now)
      const abort = () => {
        clearTimeout(timer)
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', abort, { once: true })
    }).finally(() => {
      if (--this.pacing === 0) this.onFree()
    })
  }

  private release() {
    const next = this.waiting.shift()
    if (next) return next()
    this.active--
    this.onFree()
  }
}

/** The gates of every source that has a forwarding limit. */
export class SourceLimits {
  private readonly gates = new Map<string, Gate>()
  /** Called when a source's gate frees a place (the worker claims again). */
  onFree: () => void = () => {}

  constructor(limits: Map<string, SourceLimit>) {
    for (const [source, limit] of limits) if (limit.concurrency || limit.ratePerSecond) this.gates.set(source, new Gate(limit, () => this.onFree()))
  }

  /** The limits configured under each source's `forward`; undefined when no source has one. */
  static fromSources(sources: Map<string, SourceConfig>): SourceLimits | undefined {
    const limits = new Map<string, SourceLimit>()
    for (const [name, s] of sources) if (s.forward?.concurrency || s.forward?.ratePerSecond) limits.set(name, { concurrency: s.forward.concurrency, ratePerSecond: s.forward.ratePerSecond })
    return limits.size ? new SourceLimits(limits) : undefined
  }

  /** Waits for a place (and a rate slot); resolves to the function that gives it back. Rejects when `signal` aborts first. */
  acquire(source: string, signal?: AbortSignal): Promise<() => void> {
    return this.gates.get(source)?.acquire(signal) ?? Promise.resolve(() => {})
  }

  /** Sources whose gate is full or has events waiting: not worth claiming for now. */
  saturated(): string[] {
    return [...this.gates].filter(([, gate]) => gate.saturated).map(([source]) => source)
  }

  /** For the claim: how many events of each limited source may be taken now. */
  capacities(): Record<string, number> {
    return Object.fromEntries([...this.gates].map(([source, gate]) => [source, gate.capacity]))
  }
}
