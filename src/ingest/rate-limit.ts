// Step 4: token buckets. Pure: time is a parameter.

export interface BucketOptions {
  /** Tokens added per second. */
  perSecond: number
  /** Bucket size: the largest burst allowed. */
  burst: number
}

export class TokenBucket {
  private tokens: number
  private updatedMs: number

  constructor(
    private readonly options: BucketOptions,
    nowMs: number,
  ) {
    this.tokens = options.burst
    this.updatedMs = nowMs
  }

  /** Takes one token. Returns 0 when allowed, else the seconds until a token is available. */
  take(nowMs: number): number {
    const elapsed = Math.max(0, nowMs - this.updatedMs) / 1000
    this.tokens = Math.min(this.options.burst, this.tokens + elapsed * this.options.perSecond)
    this.updatedMs = nowMs
    if (this.tokens >= 1) {
      this.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.options.perSecond))
  }

  /** True when the bucket is full again (it can be forgotten). */
  isFull(nowMs: number): boolean {
    return this.tokens + (Math.max(0, nowMs - this.updatedMs) / 1000) * this.options.perSecond >= this.options.burst
  }
}

/** One bucket per key (client IP), with the idle ones dropped so memory stays bounded. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>()

  constructor(
    private readonly options: BucketOptions,
    /** Past this many keys, full buckets are swept (default: 10000). */
    private readonly maxKeys = 10_000,
  ) {}

  take(key: string, nowMs: number): number {
    let bucket = this.buckets.get(key)
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.sweep(nowMs)
      bucket = new TokenBucket(this.options, nowMs)
      this.buckets.set(key, bucket)
    }
    return bucket.take(nowMs)
  }

  get size(): number {
    return this.buckets.size
  }

  private sweep(nowMs: number) {
    for (const [key, bucket] of this.buckets) if (bucket.isFull(nowMs)) this.buckets.delete(key)
    // Still too many (a spread-out flood): forget the oldest half rather than grow without bound.
    if (this.buckets.size >= this.maxKeys) {
      let drop = Math.floor(this.buckets.size / 2)
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break
        this.buckets.delete(key)
      }
    }
  }
}
