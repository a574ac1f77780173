import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { runCli } from '../helpers/cli.ts'
import { tempDir } from '../helpers/gateway.ts'

describe('inhook stats and inhook rejections (CLI)', () => {
  let dir: string
  let cleanup: () => void
  let db: string

  beforeAll(async () => {
    ;({ dir, cleanup } = tempDir())
    db = join(dir, 'seed.db')
    const store = new SqliteStore(openDatabase(`file:${db}`))
    const now = Date.now()
    const base = { provider: 'github', method: 'POST', path: '/webhooks/github', query: '', headers: [['content-type', 'application/json']] as [string, string][], body: Buffer.from('{}') }
    for (let i = 0; i < 4; i++) await store.append({ ...base, source: 'github', type: 'push', deliveryId: `g-${i}`, receivedAt: new Date(now - i * 1000) })
    const claimed = await store.claim({ limit: 2, leaseMs: 60_000, now: new Date() })
    await store.complete(claimed[0]!.id, { attempt: 1, startedAt: new Date(), finishedAt: new Date() })
    await store.fail(claimed[1]!.id, { attempt: 1, startedAt: new Date(), finishedAt: new Date(), error: 'boom' })
    // Stored after the claim, so it is still due: the oldest in the queue.
    await store.append({ ...base, source: 'stripe', provider: 'stripe', type: 'charge.succeeded', deliveryId: 's-1', receivedAt: new Date(now - 2 * 3_600_000) })
    store.recordRejection({ at: new Date(now - 3 * 3_600_000), source: 'stripe', clientIp: '198.51.100.2', status: 401, reason: 'stale', hint: 'timestamp is 3600 s old' })
    store.recordRejection({ at: new Date(now - 5000), source: 'github', clientIp: '203.0.113.7', status: 401, reason: 'mismatch', hint: 'no configured secret matches (tried 1 secret)' })
    await store.close()
  })
  afterAll(() => cleanup())

  it('prints stats as JSON in the shape of the API', async () => {
    const { stdout, code } = await runCli(['stats', '--db', db, '--json'])
    expect(code).toBe(0)
    const stats = JSON.parse(stdout)
    expect(stats.bySourceStatus).toEqual(
      expect.arrayContaining([
        { source: 'github', status: 'new', count: 2 },
        { source: 'github', status: 'processed', count: 1 },
        { source: 'github', status: 'failed', count: 1 },
        { source: 'stripe', status: 'new', count: 1 },
      ]),
    )
    expect(stats.queueDepth).toBe(3)
    expect(stats.oldestDueSeconds).toBeGreaterThanOrEqual(2 * 3600)
    expect(stats.rates.ingest).toEqual({ lastMinute: 4, lastHour: 4 })
    expect(stats.rates.processing).toEqual({ lastMinute: 2, lastHour: 2 })
    expect(stats.rates.failed).toEqual({ lastMinute: 1, lastHour: 1 })
    expect(stats.rates.rejected).toEqual({ lastMinute: 1, lastHour: 1 })
  })

  it('prints stats as readable tables', async () => {
    const { stdout, code } = await runCli(['stats', '--db', db])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^SOURCE\s+NEW\s+PROCESSING\s+PROCESSED\s+FAILED\s+TOTAL\n/)
    expect(stdout).toMatch(/\ngithub\s+2\s+0\s+1\s+1\s+4\n/)
    expect(stdout).toMatch(/\nstripe\s+1\s+0\s+0\s+0\s+1\n/)
    expect(stdout).toMatch(/queue: 3 due now, oldest waiting \d+ s/)
    expect(stdout).toMatch(/\nstored\s+4\s+4\s+0\.00/)
  })

  it('lists rejections as JSON lines, newest first, filtered', async () => {
    const all = await runCli(['rejections', '--db', db, '--json'])
    expect(all.code).toBe(0)
    const rows = all.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(rows).toMatchObject([
      { source: 'github', status: 401, reason: 'mismatch', clientIp: '203.0.113.7', hint: 'no configured secret matches (tried 1 secret)' },
      { source: 'stripe', reason: 'stale' },
    ])
    const recent = await runCli(['rejections', '--db', db, '--json', '--since', '1h'])
    expect(recent.stdout.trim().split('\n')).toHaveLength(1)
    const stripe = await runCli(['rejections', '--db', db, '--json', '--source', 'stripe', '-n', '1'])
    expect(JSON.parse(stripe.stdout).reason).toBe('stale')
  })

  it('lists rejections as a readable table', async () => {
    const { stdout, code } = await runCli(['rejections', '--db', db])
    expect(code).toBe(0)
    expect(stdout.split('\n')[0]).toMatch(/^WHEN\s+SOURCE\s+STATUS\s+REASON\s+CLIENT IP\s+HINT$/)
    expect(stdout).toMatch(/\d+s ago\s+github\s+401\s+mismatch\s+203\.0\.113\.7\s+no configured secret matches/)
  })

  it('reports a bad limit or a missing database on stderr with exit code 1', async () => {
    const bad = await runCli(['rejections', '--db', db, '-n', '0'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/--limit: expected a number from 1 to 500/)
    const missing = await runCli(['stats', '--db', join(dir, 'nope.db')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/no database at/)
  })
})
