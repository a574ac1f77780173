import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppendThread } from '../../src/store/append-thread.ts'
import { Checkpointer, newRestartGate } from '../../src/store/checkpointer.ts'
import { openDatabase, type Db } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { StorageError } from '../../src/store/writer.ts'
import { tempDir, waitFor } from '../helpers/gateway.ts'
import { expectPendingWhileLoopTurns, lockElsewhere } from '../helpers/lock.ts'
import { storeEvent as event } from '../helpers/store.ts'

describe('appends on their own thread', () => {
  let tmp: ReturnType<typeof tempDir>
  let file: string
  beforeEach(() => {
    tmp = tempDir()
    file = join(tmp.dir, 'a.db')
  })
  afterEach(() => tmp.cleanup())

  const open = (options: Parameters<typeof openDatabase>[1] = {}) =>
    new SqliteStore(openDatabase(`file:${file}`, { busyTimeoutMs: 2000, ...options }), { appendThread: true, backgroundCheckpoints: true })
  /** An append thread of its own on the file, sharing `restartGate`, once its connection is open. */
  const startThread = async (busyTimeoutMs: number, restartGate: SharedArrayBuffer) => {
    const thread = new AppendThread({ file, synchronous: 1, busyTimeoutMs, autocheckpointPages: 100_000, restartGate })
    await thread.started
    return thread
  }
  const countEvents = (db: Db) => (db.$client.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n

  it('stores every field as given, byte for byte, and reads back the same event', async () => {
    const store = open()
    const body = Buffer.from([0, 1, 2, 255, 0xe2, 0x82, 0xac, 10])
    const full = event('d-1', {
      type: 'pull_request.opened — ✓', query: 'a=1&b=%C3%A9', headers: [['x-name', 'Zoë 🚀'], ['content-type', 'application/octet-stream']],
      body, clientIp: '::1', occurredAt: new Date(1_700_000_000_123), receivedAt: new Date(1_700_000_000_456),
    })
    const bare = event(undefined, { type: undefined, body: new Uint8Array(0), headers: [] })
    const [a, b] = await Promise.all([store.append(full), store.append(bare)])
    expect(a.duplicate).toBe(false)
    expect(b.duplicate).toBe(false)
    const got = (await store.get(a.id!))!
    expect(got).toMatchObject({
      source: 'github', provider: 'github', type: full.type, deliveryId: 'd-1', method: 'POST', path: '/webhooks/github', query: full.query,
      headers: full.headers, clientIp: '::1', occurredAt: full.occurredAt, receivedAt: full.receivedAt, nextAttemptAt: full.receivedAt, status: 'new', attempts: 0,
    })
    expect(Buffer.compare(got.body, body)).toBe(0)
    const empty = (await store.get(b.id!))!
    expect(empty).toMatchObject({ type: null, deliveryId: null, clientIp: null, occurredAt: null, headers: [] })
    expect(empty.body.length).toBe(0)
    // And the worker can claim it like any other event.
    const claimed = await store.claim({ limit: 10, leaseMs: 1000, now: new Date(Date.now() + 1000) })
    expect(claimed.map((e) => e.id).sort()).toEqual([a.id, b.id].sort())
    await store.close()
  })

  it("reuses one batch's buffer of bodies for the next, and stores every body byte for byte whatever the batch sizes", async () => {
    const store = open()
    const thread = (store as unknown as { appendThread: { spare?: ArrayBuffer } }).appendThread
    // Distinct bytes per body, so that a body read from the wrong place or a stale tail shows.
    const body = (id: number, size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (id * 31 + i) % 251))
    const batches = [[20_000, 20_000, 20_000], [10, 0, 5], [70_000, 3], [1, 2, 3, 4], [200_000]]
    const sent: { id: string; body: Buffer }[] = []
    let n = 0
    for (const sizes of batches) {
      // One event-loop turn each: one batch each.
      const bodies = sizes.map((size) => body(n++, size))
      const results = await Promise.all(bodies.map((b, i) => store.append(event(`b-${n}-${i}`, { body: b }))))
      results.forEach((r, i) => sent.push({ id: r.id!, body: bodies[i]! }))
      // Handed back once the batch committed.
      expect(thread.spare?.byteLength).toBeGreaterThanOrEqual(sizes.reduce((a, b) => a + b, 0))
    }
    for (const { id, body: expected } of sent) expect(Buffer.compare((await store.get(id))!.body, expected)).toBe(0)
    await store.close()
  })

  it('tells duplicates apart within one batch and across batches, and gives distinct ids otherwise', async () => {
    const store = open()
    const first = await Promise.all(['x', 'y', 'x', 'z', 'y'].map((id) => store.append(event(id))))
    expect(first.map((r) => r.duplicate)).toEqual([false, false, true, false, true])
    const again = await store.append(event('z'))
    expect(again.duplicate).toBe(true)
    const ids = first.filter((r) => !r.duplicate).map((r) => r.id)
    expect(new Set(ids).size).toBe(3)
    // The same delivery id from another source is not a duplicate.
    expect((await store.append(event('x', { source: 'other' }))).duplicate).toBe(false)
    await store.close()
    const reader = new Database(file, { readonly: true })
    expect(reader.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 4 })
    reader.close()
  })

  it('waits for a write lock held elsewhere without blocking the event loop, and fails past busy_timeout', async () => {
    const store = open({ busyTimeoutMs: 300 })
    const lock = lockElsewhere(file)
    try {
      const waiting = store.append(event('locked'))
      await expectPendingWhileLoopTurns(waiting)
      lock.release()
      expect(await waiting).toMatchObject({ duplicate: false })

      lock.take()
      await expect(store.append(event('too-late'))).rejects.toBeInstanceOf(StorageError)
    } finally {
      lock.close()
    }
    // Nothing of the failed batch was kept, and the thread goes on.
    expect(await store.append(event('too-late'))).toMatchObject({ duplicate: false })
    await store.close()
  })

  it('keeps off the database while the checkpointer restarts the WAL, and commits as soon as it is done', async () => {
    const db = openDatabase(`file:${file}`)
    const gate = new Int32Array(newRestartGate())
    const thread = await startThread(300, gate.buffer as SharedArrayBuffer)
    const count = () => countEvents(db)
    try {
      Atomics.store(gate, 0, 1) // WANTED: a RESTART is about to run
      const waiting = thread.append(event('after-restart'))
      await expectPendingWhileLoopTurns(waiting)
      expect(count()).toBe(0)
      expect(Atomics.load(gate, 1)).toBe(0) // not WRITING: the checkpointer may go on
      Atomics.store(gate, 0, 0)
      Atomics.notify(gate, 0)
      expect(await waiting).toBeGreaterThan(0)
      expect(count()).toBe(1)
      expect(Atomics.load(gate, 1)).toBe(0) // and not left WRITING after its commit

      // A RESTART that never ends is a lock held past busy_timeout.
      Atomics.store(gate, 0, 1)
      await expect(thread.append(event('never'))).rejects.toBeInstanceOf(StorageError)
      Atomics.store(gate, 0, 0)
      expect(await thread.append(event('later'))).toBeGreaterThan(0)
    } finally {
      await thread.close()
      db.$client.close()
    }
  })

  it('does not keep appends out while a long read holds the WAL: the RESTART gives up after a short wait', async () => {
    // The RESTART would wait for the reader up to the connection's busy_timeout (2 s) while the append
    // thread, past its own 400 ms, would fail its batches.
    const db = openDatabase(`file:${file}`, { busyTimeoutMs: 2000 })
    const restartGate = newRestartGate()
    const checkpointer = new Checkpointer(db.$client, { intervalMs: 20, restartBytes: 64 * 1024, restartGate })
    const thread = await startThread(400, restartGate)
    const reader = new Database(file)
    reader.prepare('BEGIN').run()
    reader.prepare('SELECT count(*) FROM events').get() // holds its snapshot of the WAL until COMMIT
    const body = Buffer.alloc(2048, 'r')
    try {
      const started = Date.now()
      for (let round = 0; Date.now() - started < 1500; round++)
        await Promise.all(Array.from({ length: 20 }, (_, i) => thread.append(event(`r-${round}-${i}`, { body }))))
    } finally {
      reader.prepare('COMMIT').run()
      reader.close()
      await thread.close()
      await checkpointer.stop()
      db.$client.close()
      checkpointer.release()
    }
  })

  it('commits everything still queued when closed, and with FULL fsyncs in the commit', async () => {
    const store = open({ synchronous: 'FULL' })
    // The thread's commits fsync the WAL themselves; the store's own connection commits at NORMAL and fsyncs after.
    expect(await store.pragma('synchronous')).toEqual({ main: 1, appendThread: 2 })
    const appends = Array.from({ length: 500 }, (_, i) => store.append(event(`c-${i}`)))
    const closed = store.close()
    const results = await Promise.all(appends)
    await closed
    expect(results.every((r) => !r.duplicate)).toBe(true)
    const reader = new Database(file, { readonly: true })
    expect(reader.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 500 })
    reader.close()
  })

  it('keeps events with an ordering key on the main connection, in their line', async () => {
    const store = open()
    const [a, b] = await Promise.all([store.append(event('o-1', { orderingKey: 'k' })), store.append(event('o-2', { orderingKey: 'k' }))])
    const claimed = await store.claim({ limit: 10, leaseMs: 1000, now: new Date(Date.now() + 1000) })
    // Only the head of the key's line is runnable.
    expect(claimed.map((e) => e.id)).toEqual([a.id])
    expect(b.duplicate).toBe(false)
    await store.close()
  })

  it("takes turns with the store's own writes instead of failing to take the lock and polling", async () => {
    const store = open()
    const writes: Promise<unknown>[] = []
    // Turn after turn, a batch for the thread and writes on the main connection: rejections and claims.
    for (let turn = 0; turn < 200; turn++) {
      for (let i = 0; i < 10; i++) writes.push(store.append(event(`t-${turn}-${i}`)))
      store.recordRejection({ at: new Date(), source: 'github', status: 401, reason: 'bad-signature' })
      writes.push(store.claim({ limit: 5, leaseMs: 1000, now: new Date() }))
      await new Promise((r) => setTimeout(r, 0))
    }
    await Promise.all(writes)
    expect(store.writer.stats.lockWaits).toBe(0)
    expect(await store.countWhere({})).toBe(2000)
    await store.close()
  })

  it('falls back to its own connection for later appends when the thread dies, and says so', async () => {
    const deaths: Error[] = []
    const store = new SqliteStore(openDatabase(`file:${file}`), { appendThread: true, onAppendThreadDeath: (error) => deaths.push(error) })
    expect((await store.append(event('before'))).duplicate).toBe(false)
    // Not reachable from outside on purpose; a thread that dies (out of memory, a native fault) is simulated.
    const thread = (store as unknown as { appendThread: AppendThread }).appendThread
    await (thread as unknown as { thread: { terminate(): Promise<number> } }).thread.terminate()
    await waitFor(() => !thread.usable)
    expect((await store.append(event('after'))).duplicate).toBe(false)
    expect((await store.append(event('before'))).duplicate).toBe(true)
    expect(await store.countWhere({})).toBe(2)
    expect(deaths).toHaveLength(1)
    await store.close()
    expect(deaths).toHaveLength(1)
  })

  it('refuses with a StorageError, rather than hanging, when its thread cannot run', async () => {
    const thread = new AppendThread({ file: join(tmp.dir, 'missing', 'x.db'), synchronous: 1, busyTimeoutMs: 100, autocheckpointPages: 1000 })
    await waitFor(() => !thread.usable)
    await expect(thread.append(event('nowhere'))).rejects.toBeInstanceOf(StorageError)
    await thread.close()
  })
})
