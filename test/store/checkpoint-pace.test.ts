import { describe, expect, it } from 'vitest'
import { MIN_INTERVAL_MS, nextTickDelay } from '../../src/store/checkpoint-pace.mjs'

// The gateway's settings: 2 KB pages, a RESTART past 64 MiB of WAL, the writers' own checkpoint past 256 MiB.
const PAGES_PER_MIB = 512
const gateway = { restartPages: 64 * PAGES_PER_MIB, safetyNetPages: 256 * PAGES_PER_MIB, intervalMs: 1000 }
/** A WAL growth rate in pages a millisecond. */
const mibPerSecond = (mib: number) => (mib * PAGES_PER_MIB) / 1000

describe("the checkpointer's pace", () => {
  it('ticks every interval while the growth of the WAL is not known yet, or is slow', () => {
    expect(nextTickDelay({ ...gateway, log: 0, rate: 0, restartTook: 0 })).toBe(1000)
    // 20 MiB a second: a tick a second leaves the WAL far under half the safety net.
    expect(nextTickDelay({ ...gateway, log: 0, rate: mibPerSecond(20), restartTook: 50 })).toBe(1000)
    expect(nextTickDelay({ ...gateway, log: 10 * PAGES_PER_MIB, rate: mibPerSecond(20), restartTook: 50 })).toBe(1000)
  })

  it('ticks sooner when the WAL grows fast, so that the tick after restarts it before half the safety net', () => {
    // 100 MiB a second, restarts taking 0.3 s: the tick should start at 98 MiB (128 - 30), in 0.98 s.
    expect(nextTickDelay({ ...gateway, log: 0, rate: mibPerSecond(100), restartTook: 300 })).toBeCloseTo(980, 6)
    // 200 MiB a second, restarts taking 0.5 s: at the RESTART threshold itself (128 - 100 < 64 MiB), in 0.32 s.
    expect(nextTickDelay({ ...gateway, log: 0, rate: mibPerSecond(200), restartTook: 500 })).toBeCloseTo(320, 6)
    // Half of that already in the WAL: half the wait.
    expect(nextTickDelay({ ...gateway, log: 32 * PAGES_PER_MIB, rate: mibPerSecond(200), restartTook: 500 })).toBeCloseTo(160, 6)
  })

  it(`never ticks sooner than ${MIN_INTERVAL_MS} ms`, () => {
    expect(nextTickDelay({ ...gateway, log: 200 * PAGES_PER_MIB, rate: mibPerSecond(250), restartTook: 850 })).toBe(MIN_INTERVAL_MS)
    expect(nextTickDelay({ ...gateway, log: 0, rate: mibPerSecond(100_000), restartTook: 850 })).toBe(MIN_INTERVAL_MS)
  })
})
