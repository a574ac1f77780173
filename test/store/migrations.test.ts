import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { tempDir } from '../helpers/gateway.ts'

const MIGRATIONS = resolve(import.meta.dirname, '../../drizzle')

/** A copy of the migrations folder holding only the first `count` migrations. */
function migrationsUpTo(dir: string, count: number): string {
  const folder = join(dir, 'migrations')
  mkdirSync(join(folder, 'meta'), { recursive: true })
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] }
  journal.entries = journal.entries.slice(0, count)
  for (const { tag } of journal.entries) copyFileSync(join(MIGRATIONS, `${tag}.sql`), join(folder, `${tag}.sql`))
  writeFileSync(join(folder, 'meta/_journal.json'), JSON.stringify(journal))
  return folder
}

describe('migrations', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => (tmp = tempDir()))
  afterEach(() => tmp.cleanup())

  it('0003 moves the headers and bodies of existing events to payloads, keeping dropped bodies dropped', async () => {
    const file = join(tmp.dir, 'old.db')
    const old = new Database(file)
    migrate(drizzle({ client: old }), { migrationsFolder: migrationsUpTo(tmp.dir, 3) })
    const insert = old.prepare(
      `INSERT INTO events (source, provider, delivery_id, method, path, headers, body, received_at, status, next_attempt_at, processed_at) VALUES ('github', 'github', ?, 'POST', '/webhooks/github', ?, ?, 1000, ?, 1000, ?)`,
    )
    const headers = JSON.stringify([['content-type', 'application/json'], ['x-github-event', 'push']])
    const body = Buffer.from([123, 0, 255, 125])
    insert.run('kept', headers, body, 'new', null)
    insert.run('dropped', headers, null, 'processed', 2000)
    old.close()

    const store = new SqliteStore(openDatabase(`file:${file}`))
    const { items } = await store.list({})
    const byDelivery = new Map(items.map((e) => [e.deliveryId, e]))
    const kept = (await store.get(byDelivery.get('kept')!.id))!
    expect(kept.headers).toEqual(JSON.parse(headers))
    expect(Buffer.compare(kept.body, body)).toBe(0)
    expect(byDelivery.get('kept')!.bodyBytes).toBe(body.length)
    const dropped = (await store.get(byDelivery.get('dropped')!.id))!
    expect(dropped.headers).toEqual(JSON.parse(headers))
    expect(dropped.body.length).toBe(0)
    // A dropped body still cannot be replayed; the kept one still can be claimed.
    expect(await store.replay([dropped.id], new Date())).toBe(0)
    expect((await store.claim({ limit: 5, leaseMs: 1000, now: new Date(5000) })).map((e) => e.deliveryId)).toEqual(['kept'])
    const columns = store.db.$client.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('events')`).all().map((c) => c.name)
    expect(columns).not.toContain('body')
    expect(columns).not.toContain('headers')
    await store.close()
  })
})
