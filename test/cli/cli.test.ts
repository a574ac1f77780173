import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { runCli } from '../helpers/cli.ts'
import { tempDir } from '../helpers/gateway.ts'

describe('inhook events (CLI)', () => {
  let dir: string
  let cleanup: () => void
  let db: string
  const ids: string[] = []
  const binary = Buffer.from([0x00, 0xff, 0x10, 0x80])

  beforeAll(async () => {
    ;({ dir, cleanup } = tempDir())
    db = join(dir, 'seed.db')
    const store = new SqliteStore(openDatabase(`file:${db}`))
    const base = { provider: 'github', method: 'POST', path: '/webhooks/github', query: '', receivedAt: new Date('2026-01-01T00:00:00Z') }
    for (const [i, body] of [Buffer.from('{"n":1,"nested":{"a":[1,2]}}'), Buffer.from('{"n":2}'), binary].entries()) {
      const result = await store.append({ ...base, source: i === 1 ? 'stripe' : 'github', type: i === 1 ? 'charge.succeeded' : 'push', deliveryId: `d-${i}`, headers: [['content-type', 'application/json'], ['authorization', '[redacted]']], body })
      ids.push(result.id!)
    }
    const [claimed] = await store.claim({ limit: 1, leaseMs: 1000, now: new Date('2026-01-01T00:00:01Z') })
    await store.fail(claimed!.id, { attempt: 1, startedAt: new Date('2026-01-01T00:00:01Z'), finishedAt: new Date('2026-01-01T00:00:02Z'), error: 'handler exploded' })
    await store.close()
  })
  afterAll(() => cleanup())

  it('lists events as JSON lines, newest first, with filters', async () => {
    const all = await runCli(['events', 'list', '--db', db, '--json'])
    expect(all.code).toBe(0)
    const rows = all.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(rows.map((r) => r.id)).toEqual([...ids].reverse())
    expect(rows[0]).toMatchObject({ source: 'github', type: 'push', deliveryId: 'd-2', status: 'new', bodyBytes: 4 })
    expect(rows[0]).not.toHaveProperty('body')
    const stripe = await runCli(['events', 'list', '--db', db, '--json', '--source', 'stripe'])
    expect(stripe.stdout.trim().split('\n').map((l) => JSON.parse(l).deliveryId)).toEqual(['d-1'])
    const failed = await runCli(['events', 'list', '--db', db, '--json', '--status', 'failed'])
    expect(failed.stdout.trim().split('\n').map((l) => JSON.parse(l))).toMatchObject([{ id: ids[0], status: 'failed', lastError: 'handler exploded' }])
  })

  it('prints a readable table by default', async () => {
    const { stdout, code } = await runCli(['events', 'list', '--db', db])
    expect(code).toBe(0)
    expect(stdout.split('\n')[0]).toMatch(/^ID\s+SOURCE\s+TYPE\s+STATUS/)
    expect(stdout).toContain('charge.succeeded')
  })

  it('shows one event with headers, attempts and the body pretty-printed', async () => {
    const { stdout, code } = await runCli(['events', 'show', ids[0]!, '--db', db])
    expect(code).toBe(0)
    expect(stdout).toMatch(/status\s+failed/)
    expect(stdout).toContain('authorization: [redacted]')
    expect(stdout).toMatch(/#1 failed .* handler exploded/)
    expect(stdout).toContain('"nested": {\n    "a": [\n      1,')
  })

  it('writes the exact body bytes with --raw', async () => {
    const { spawnSync } = await import('node:child_process')
    const result = spawnSync(process.execPath, ['src/bin.mjs', 'events', 'show', ids[2]!, '--db', db, '--raw'])
    expect(result.status).toBe(0)
    expect(Buffer.compare(result.stdout, binary)).toBe(0)
  })

  it('replays a failed event', async () => {
    const { stdout, code } = await runCli(['events', 'replay', ids[0]!, '--db', db])
    expect(code).toBe(0)
    expect(stdout).toContain('replayed 1 of 1')
    const after = await runCli(['events', 'list', '--db', db, '--json', '--status', 'new'])
    expect(after.stdout).toContain(`"id":"${ids[0]}"`)
  })

  it.each([
    [['events', 'show', '999999'], /^inhook: no event with id "999999"\n$/],
    [['events', 'show', 'not-an-id'], /^inhook: no event with id "not-an-id"\n$/],
    [['events', 'list', '--limit', 'ten'], /^inhook: --limit: expected a number from 1 to 500/],
    [['events', 'list', '--since', 'yesterday-ish'], /^inhook: --since: expected a duration like 2h/],
  ])('exits 1 with a one-line message for %j', async (args, message) => {
    const { code, stderr } = await runCli([...args, '--db', db])
    expect(code).toBe(1)
    expect(stderr).toMatch(message)
  })

  it('exits 1 with a clear message when the database does not exist', async () => {
    const { code, stderr } = await runCli(['events', 'list', '--db', join(dir, 'missing.db')])
    expect(code).toBe(1)
    expect(stderr).toMatch(/^inhook: no database at .*missing\.db \(start the gateway/)
  })

  it('exits 1 and lists the problems of a bad config', async () => {
    const file = join(dir, 'bad.json')
    writeFileSync(file, JSON.stringify({ sources: { github: { provider: 'github', secret: { env: 'UNSET_SECRET_FOR_TEST' } } } }))
    const { code, stderr } = await runCli(['serve', '--config', file])
    expect(code).toBe(1)
    expect(stderr).toContain('sources.github.secret: expected a string (set UNSET_SECRET_FOR_TEST)')
    expect(stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('lists the providers with their options', async () => {
    const { stdout, code } = await runCli(['providers'])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^github\s+GitHub\s+secret\|secrets allowSha1=false/m)
    expect(stdout).toMatch(/^stripe\s+Stripe\s+secret\|secrets/m)
  })
})
