import Database from 'better-sqlite3'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/store/database.ts'
import { StorageError } from '../../src/store/writer.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { tempDir, waitFor } from '../helpers/gateway.ts'
import { expectPendingWhileLoopTurns, lockElsewhere } from '../helpers/lock.ts'
import { storeEvent as event } from '../helpers/store.ts'

describe('the group-commit writer', () => {
  let tmp: ReturnType<typeof tempDir>
  let file: string
  beforeEach(() => {
    tmp = tempDir()
    file = join(tmp.dir, 'w.db')
  })
  afterEach(() => tmp.cleanup())

  const open = (options: Parameters<typeof openDatabase>[1] = {}, store: ConstructorParameters<typeof SqliteStore>[1] = {}) =>
    new SqliteStore(openDatabase(`file:${file}`, { busyTimeoutMs: 2000, ...options }), store)

  it('waits for a write lock held elsewhere without blocking the event loop, then commits', async () => {
    const store = open()
    const lock = lockElsewhere(file)
    try {
      const append = store.append(event('locked'))
      await expectPendingWhileLoopTurns(append)
      lock.release()
      expect(await append).toMatchObject({ duplicate: false })
    } finally {
      lock.close()
      await store.close()
    }
  })

  it('fails the waiting writes with a StorageError once busy_timeout has passed', async () => {
    const store = open({ busyTimeoutMs: 50 })
    const lock = lockElsewhere(file)
    try {
      await expect(store.append(event('too-late'))).rejects.toBeInstanceOf(StorageError)
    } finally {
      lock.close()
    }
    expect(await store.append(event('too-late'))).toMatchObject({ duplicate: false })
    await store.close()
  })

  it('with synchronous=FULL, commits at NORMAL and fsyncs the WAL itself before settling', async () => {
    const store = open({ synchronous: 'FULL' })
    expect(store.db.$client.pragma('synchronous', { simple: true })).toBe(1)
    const results = await Promise.all(['a', 'b', 'c'].map((id) => store.append(event(id))))
    expect(results.map((r) => r.duplicate)).toEqual([false, false, false])
    expect(existsSync(`${file}-wal`)).toBe(true)
    const reader = new Database(file, { readonly: true })
    expect(reader.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 3 })
    reader.close()
    await store.close()
  })

  it('checkpoints from a background thread: the database file catches up with the WAL on its own', async () => {
    const store = new SqliteStore(openDatabase(`file:${file}`), { backgroundCheckpoints: true })
    const client = store.db.$client
    // The writer's own checkpoints are only a safety net now, far away.
    expect(client.pragma('wal_autocheckpoint', { simple: true })).toBeGreaterThan(10_000)
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.append(event(`bg-${i}`))))
    const logicalBytes = (client.pragma('page_count', { simple: true }) as number) * (client.pragma('page_size', { simple: true }) as number)
    await waitFor(() => statSync(file).size >= logicalBytes, { timeoutMs: 5000 })
    await store.close()
  })
})
