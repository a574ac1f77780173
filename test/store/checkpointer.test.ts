import { readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppendThread } from '../../src/store/append-thread.ts'
import { Checkpointer, newRestartGate } from '../../src/store/checkpointer.ts'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { tempDir, waitFor } from '../helpers/gateway.ts'
import { storeEvent as event } from '../helpers/store.ts'

/** This process's open descriptors of `file` (Linux: /proc/self/fd). */
const descriptorsOf = (file: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file
    } catch {
      return false // the directory's own descriptor, gone by now
    }
  }).length

/** The POSIX locks this process holds on `file` (Linux: /proc/locks names files by device:inode). */
const locksOf = (file: string) => {
  const { ino } = statSync(file)
  return readFileSync('/proc/locks', 'utf8').split('\n').filter((line) => {
    const fields = line.trim().split(/\s+/)
    return fields[4] === String(process.pid) && fields[5]?.endsWith(`:${ino}`)
  }).length
}

describe('the checkpointer', () => {
  let tmp: ReturnType<typeof tempDir>
  let file: string
  beforeEach(() => {
    tmp = tempDir()
    file = join(tmp.dir, 'c.db')
  })
  afterEach(() => tmp.cleanup())

  const open = () =>
    new SqliteStore(openDatabase(`file:${file}`, { busyTimeoutMs: 2000 }), { appendThread: true, backgroundCheckpoints: true })

  it("syncs the database file through one descriptor per process, closed only after the last store's connections, so SQLite keeps its locks", async () => {
    const first = open()
    await first.opened()
    // SQLite holds a shared lock on the database file for as long as a connection is open: it is how
    // another process knows it is not the last one and must not delete the WAL.
    expect(locksOf(file)).toBeGreaterThan(0)
    // Its connections (main, append thread, checkpointer: SQLite opens the file once for each), and the sync descriptor.
    await waitFor(() => descriptorsOf(file) === 4)
    const second = open()
    await second.opened()
    // The second store's three connections, but no second sync descriptor.
    await waitFor(() => descriptorsOf(file) === 7)

    // Writes enough for the checkpointers to restart the WAL: their syncs go through that descriptor.
    const body = Buffer.alloc(2048, 'w')
    for (let round = 0; round < 5; round++) await Promise.all(Array.from({ length: 100 }, (_, i) => first.append(event(`w-${round}-${i}`, { body }))))

    await first.close()
    // Closing any descriptor of the file would have dropped every lock this process holds on it,
    // the second store's included.
    expect(locksOf(file)).toBeGreaterThan(0)
    expect(await second.countWhere({})).toBe(500)
    await second.close()
    expect(descriptorsOf(file)).toBe(0)
    expect(locksOf(file)).toBe(0)
  })

  it('restarts the WAL under a steady stream of appends, through the gate, syncing ahead of each RESTART, and keeps every event', async () => {
    const db = openDatabase(`file:${file}`)
    const restartGate = newRestartGate()
    const checkpointer = new Checkpointer(db.$client, { intervalMs: 5, restartBytes: 256 * 1024, restartGate })
    const thread = new AppendThread({ file, synchronous: 1, busyTimeoutMs: 2000, autocheckpointPages: 100_000, restartGate })
    await thread.started
    const body = Buffer.alloc(2048, 'r')
    // Appends go on until 2,000 events went through and the WAL has started over three times (or 10 s
    // have passed: the test fails).
    let written = 0
    for (const started = Date.now(); (written < 2000 || checkpointer.stats.restarts < 3) && Date.now() - started < 10_000; written += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => thread.append(event(`r-${written + i}`, { body }))))
      await new Promise((r) => setTimeout(r, 5))
    }
    await thread.close()
    await checkpointer.stop()
    expect(checkpointer.lastError).toBeUndefined()
    expect(checkpointer.stats.restarts).toBeGreaterThanOrEqual(3)
    expect(checkpointer.stats.flushedFirst).toBe(checkpointer.stats.restarts)
    expect(db.$client.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: written })
    // 2 KB events went through a WAL that now holds far fewer frames: it started over.
    const { log } = db.$client.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number }
    expect(log).toBeLessThan(written)
    expect(Atomics.load(new Int32Array(restartGate), 0)).toBe(0)
    db.$client.close()
    checkpointer.release()
    expect(descriptorsOf(file)).toBe(0)
  })

  it('leaves the syncing to the RESTART with synchronous=OFF, which syncs nothing', async () => {
    const db = openDatabase(`file:${file}`, { synchronous: 'OFF' })
    const checkpointer = new Checkpointer(db.$client, { intervalMs: 5, restartBytes: 64 * 1024 })
    const insert = db.$client.prepare(`INSERT INTO rejections (at, source, reason, status, client_ip) VALUES (?, 'github', 'bad signature', 401, '::1')`)
    for (const started = Date.now(); checkpointer.stats.restarts < 2 && Date.now() - started < 10_000; ) {
      for (let j = 0; j < 20; j++) insert.run(Date.now()) // a commit each
      await new Promise((r) => setTimeout(r, 5))
    }
    await checkpointer.stop()
    expect(checkpointer.lastError).toBeUndefined()
    expect(checkpointer.stats.restarts).toBeGreaterThanOrEqual(2)
    expect(checkpointer.stats.flushedFirst).toBe(0)
    db.$client.close()
    checkpointer.release()
  })

  it('says so when its thread stops, and not when it is stopped', async () => {
    const db = openDatabase(`file:${file}`)
    const errors: [string, boolean][] = []
    const checkpointer = new Checkpointer(db.$client, { intervalMs: 5, onError: (error, stopped) => errors.push([error.message, stopped]) })
    // Gone before the thread opens its connection (it needs the file to exist): the thread fails to start.
    rmSync(file)
    await waitFor(() => errors.length > 0)
    expect(errors).toEqual([[expect.stringMatching(/unable to open database file/), true]])
    await checkpointer.stop()
    db.$client.close()
    checkpointer.release()

    const healthy = openDatabase(`file:${join(tmp.dir, 'healthy.db')}`)
    const quiet = new Checkpointer(healthy.$client, { intervalMs: 5, onError: (error, stopped) => errors.push([error.message, stopped]) })
    await new Promise((r) => setTimeout(r, 50))
    await quiet.stop()
    healthy.$client.close()
    quiet.release()
    expect(errors).toHaveLength(1)
  })
})
