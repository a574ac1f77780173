// Bounds the memory held by request bodies: those being read, verified and stored. A request reserves
// its body's size (its Content-Length, else its source's limit) before its body is read, and gives it
// back once it is answered. Past the budget, requests wait their turn, first come first served, with
// their bodies left unread in the socket (TCP pushes back on the sender) rather than being refused:
// a provider that does not retry (GitHub) loses nothing, and one that is slow is bounded by the
// server's requestTimeoutMs (408) as any slow request is. Without it, 1 MiB bodies on 256
// connections took the process to 690 MiB of RSS (README § Performance).

export interface BodyBudgetStats {
  /** Bytes reserved now. */
  held: number
  /** Requests waiting for room now. */
  waiting: number
}

interface Waiter {
  bytes: number
  grant: (release: () => void) => void
}

/** What `wait` watches for the client going away: the request (Node's IncomingMessage emits 'close'). */
export interface Closable {
  once(event: 'close', listener: () => void): unknown
  off(event: 'close', listener: () => void): unknown
}

export class BodyBudget {
  private held = 0
  private readonly waiters: Waiter[] = []

  constructor(readonly limitBytes: number) {}

  get stats(): BodyBudgetStats {
    return { held: this.held, waiting: this.waiters.length }
  }

  /**
   * Reserves `bytes` if there is room now and nobody is waiting; returns the function that gives them
   * back (idempotent), else undefined. A reservation larger than the whole budget fits when nothing
   * else is held.
   */
  tryReserve(bytes: number): (() => void) | undefined {
    return this.waiters.length === 0 && this.fits(bytes) ? this.take(bytes) : undefined
  }

  /**
   * Waits for room for `bytes`, after those already waiting. Resolves undefined, holding nothing, if
   * `request` closes first (its client went away).
   */
  wait(bytes: number, request?: Closable): Promise<(() => void) | undefined> {
    return new Promise((resolve) => {
      const gone = () => {
        const i = this.waiters.indexOf(waiter)
        if (i === -1) return
        this.waiters.splice(i, 1)
        this.admit()
        resolve(undefined)
      }
      const waiter: Waiter = {
        bytes,
        grant: (release) => {
          request?.off('close', gone)
          resolve(release)
        },
      }
      this.waiters.push(waiter)
      request?.once('close', gone)
      this.admit()
    })
  }

  private fits(bytes: number): boolean {
    return this.held === 0 || this.held + bytes <= this.limitBytes
  }

  private take(bytes: number): () => void {
    this.held += bytes
    let given = false
    return () => {
      if (given) return
      given = true
      this.held -= bytes
      this.admit()
    }
  }

  /** Grants the waiters at the head of the line while they fit (in order: a large one is not overtaken). */
  private admit() {
    while (this.waiters.length && this.fits(this.waiters[0]!.bytes)) {
      const waiter = this.waiters.shift()!
      waiter.grant(this.take(waiter.bytes))
    }
  }
}
