// The processing commands as an operator runs them: `worker --once` from cron, bulk replay, prune, forwarding.
import Database from 'better-sqlite3'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { runCli } from '../helpers/cli.ts'
import { tempDir } from '../helpers/gateway.ts'
import { seedEvent } from './seed.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR

describe('processing from the command line', () => {
  let dir: string
  let cleanup: () => void
  let db: string
  let store: SqliteStore
  beforeEach(() => {
    ;({ dir, cleanup } = tempDir())
    db = join(dir, 'cli.db')
    store = new SqliteStore(openDatabase(`file:${db}`))
  })
  afterEach(async () => {
    await store.close()
    cleanup()
  })

  /** A TS config in the temp dir whose github handler is `handler` (source code). */
  function writeConfig(handler: string, extra = ''): string {
    const file = join(dir, 'inhook.config.ts')
    writeFileSync(
      file,
      `import { appendFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { defineConfig, PermanentError } from ${JSON.stringify(pathToFileURL(join(process.cwd(), 'src/index.ts')).href)}
const dir = ${JSON.stringify(dir)}
export default defineConfig({
  database: { url: ${JSON.stringify(`file:${db}`)}, busyTimeoutMs: 200 },
  worker: { concurrency: 4, batchSize: 4 },
  log: { level: 'silent' },
  sources: { github: { provider: 'github', secret: 'gh-secret' } },
  handlers: { github: { '*': ${handler} } },
  ${extra}
})
`,
    )
    return file
  }

  it('concurrent `worker --once` runs never run the same event twice, and exit 0', async () => {
    for (let i = 0; i < 120; i++) await seedEvent(store, { status: 'new', receivedAt: new Date(Date.now() - HOUR) })
    const config = writeConfig(`async (event) => { appendFileSync(dir + '/runs.log', event.id + ' ' + process.pid + '\\n'); await sleep(5) }`)
    const runs = await Promise.all([0, 1, 2].map(() => runCli(['worker', '--once', '--config', config], { timeoutMs: 30_000 })))
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0])
    const lines = readFileSync(join(dir, 'runs.log'), 'utf8').trim().split('\n')
    const ids = lines.map((l) => l.split(' ')[0])
    expect(ids).toHaveLength(120)
    expect(new Set(ids).size).toBe(120)
    const processed = runs.map((r) => Number(/processed (\d+)/.exec(r.stdout)![1]))
    expect(processed.reduce((a, b) => a + b, 0)).toBe(120)
    expect((await store.countReplayable({})).processed).toBe(120)
  })

  it('`worker --once` exits 2 when an event failed for good, and 1 when it cannot work the table', async () => {
    await seedEvent(store, { status: 'new', receivedAt: new Date(Date.now() - HOUR) })
    const config = writeConfig(`() => { throw new PermanentError('bad payload') }`)
    const failed = await runCli(['worker', '--once', '--config', config])
    expect(failed.code).toBe(2)
    expect(failed.stdout).toContain('processed 0, rescheduled 0, failed 1')

    // Another process holds the write lock longer than busyTimeoutMs: the run cannot claim, and says so.
    const holder = new Database(db)
    holder.exec('BEGIN IMMEDIATE')
    try {
      const crashed = await runCli(['worker', '--once', '--config', config])
      expect(crashed.code).toBe(1)
      expect(crashed.stderr).toMatch(/database is locked/)
    } finally {
      holder.exec('ROLLBACK')
      holder.close()
    }
  })

  it('replays failed events by filters: counted first, refused without --yes off a terminal, then replayed and recorded', async () => {
    const now = Date.now()
    const wanted: string[] = []
    for (let i = 0; i < 6; i++) wanted.push(await seedEvent(store, { status: 'failed', source: 'stripe', type: 'charge.failed', receivedAt: new Date(now - HOUR) }))
    const otherType = await seedEvent(store, { status: 'failed', source: 'stripe', type: 'charge.succeeded', receivedAt: new Date(now - HOUR) })
    const tooOld = await seedEvent(store, { status: 'failed', source: 'stripe', type: 'charge.failed', receivedAt: new Date(now - 3 * HOUR) })
    const otherSource = await seedEvent(store, { status: 'failed', source: 'github', type: 'charge.failed', receivedAt: new Date(now - HOUR) })
    const processed = await seedEvent(store, { status: 'processed', source: 'stripe', type: 'charge.failed', receivedAt: new Date(now - HOUR) })
    const filters = ['--status', 'failed', '--source', 'stripe', '--since', '2h', '--type', 'charge.failed', '--db', db]

    const dry = await runCli(['events', 'replay', ...filters, '--dry-run'])
    expect(dry).toMatchObject({ code: 0 })
    expect(dry.stdout).toContain('would replay 6 event(s) (6 failed)')

    const unconfirmed = await runCli(['events', 'replay', ...filters])
    expect(unconfirmed.code).toBe(1)
    expect(unconfirmed.stderr).toContain('this would replay 6 event(s) (6 failed); pass --yes to confirm')
    expect((await store.get(wanted[0]!))!.status).toBe('failed')

    const done = await runCli(['events', 'replay', ...filters, '--yes'])
    expect(done).toMatchObject({ code: 0 })
    expect(done.stdout).toContain('replayed 6 event(s)')
    for (const id of wanted) {
      expect((await store.get(id))!.status).toBe('new')
      expect((await store.attempts(id)).map((a) => a.outcome)).toEqual(['failed', 'replayed'])
    }
    for (const id of [otherType, tooOld, otherSource]) expect((await store.get(id))!.status).toBe('failed')
    expect((await store.get(processed))!.status).toBe('processed')

    const none = await runCli(['events', 'replay', ...filters, '--yes'])
    expect(none.stdout).toContain('no processed or failed events match')
  })

  it('replay wants ids or filters, not both and not neither', async () => {
    const id = await seedEvent(store, { status: 'failed' })
    const both = await runCli(['events', 'replay', id, '--status', 'failed', '--db', db])
    expect(both).toMatchObject({ code: 1, stderr: expect.stringContaining('give event ids or filters') })
    const neither = await runCli(['events', 'replay', '--db', db])
    expect(neither).toMatchObject({ code: 1, stderr: expect.stringContaining('give event ids, or filters') })
  })

  it('prune says what it would free, then frees it', async () => {
    for (let i = 0; i < 3; i++) await seedEvent(store, { status: 'processed', finishedAt: new Date(Date.now() - 40 * DAY), body: 'x'.repeat(2000) })
    const kept = await seedEvent(store, { status: 'failed', finishedAt: new Date(Date.now() - 40 * DAY) })
    const config = writeConfig('() => {}', 'retention: { processedDays: 30, failedDays: 60 },')
    const dry = await runCli(['prune', '--dry-run', '--config', config])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('retention: processed 30 d, failed 60 d, bodies of processed events kept')
    expect(dry.stdout).toMatch(/would delete 3 event\(s\) \(3 processed, 0 failed\): \d+(\.\d+)? KB to free/)
    expect((await store.countReplayable({})).processed).toBe(3)
    const real = await runCli(['prune', '--config', config])
    expect(real.stdout).toMatch(/deleted 3 event\(s\) \(3 processed, 0 failed\): \d+(\.\d+)? KB freed/)
    expect(await store.countReplayable({})).toEqual({ processed: 0, failed: 1, withoutBody: 0 })
    expect((await store.get(kept))!.status).toBe('failed')
  })

  it('shows and re-enables forwarding turned off by a 410', async () => {
    await store.disableForwarding('stripe', 'http://127.0.0.1:1/hooks answered 410 Gone to event 1', new Date())
    const status = await runCli(['forwarding', 'status', '--db', db])
    expect(status.stdout).toMatch(/stripe .* http:\/\/127\.0\.0\.1:1\/hooks answered 410 Gone/)
    const enabled = await runCli(['forwarding', 'enable', 'stripe', '--db', db])
    expect(enabled).toMatchObject({ code: 0, stdout: expect.stringContaining('inhook events replay --status failed --source stripe') })
    expect(await store.forwardingState('stripe')).toBeUndefined()
    expect((await runCli(['forwarding', 'enable', 'stripe', '--db', db])).code).toBe(1)
  })
})
