// The append thread (see append-thread.ts). Plain JavaScript: worker threads do not inherit the
// TypeScript loader. It owns its own connection to the database file and commits each batch it is sent
// in one transaction, then answers with the new ids (0 for a duplicate) or the error.
import { createRequire } from 'node:module'
import { parentPort, workerData } from 'node:worker_threads'

const Database = createRequire(import.meta.url)('better-sqlite3')
const { file, insertSql, insertPayloadSql, synchronous, busyTimeoutMs, autocheckpointPages, stringFields, restartGate } = workerData
const db = new Database(file, { fileMustExist: true })
// Waiting for the lock is done below, in short sleeps: SQLite's own busy handler sleeps up to 100 ms at a time.
db.pragma('busy_timeout = 0')
// This thread may block: FULL fsyncs the WAL in the commit itself, before the batch is answered.
db.pragma(`synchronous = ${synchronous}`)
db.pragma('cache_size = -8000')
// As on the main connection: checkpoints are the checkpointer thread's, this is only a safety net.
db.pragma(`wal_autocheckpoint = ${autocheckpointPages}`)
const insert = db.prepare(insertSql)
const insertPayload = db.prepare(insertPayloadSql)
const begin = db.prepare('BEGIN IMMEDIATE')
const commit = db.prepare('COMMIT')
const rollback = db.prepare('ROLLBACK')
// Read once now: this opens the WAL for writing. A connection that first touches a file while it cannot
// be written (a read-only mount, chattr +i) opens it read-only for good and would never recover.
db.prepare('SELECT 1 FROM events LIMIT 1').get()
const nap = new Int32Array(new SharedArrayBuffer(4))
/** Between two attempts at the write lock held by another connection. */
const LOCK_RETRY_MS = 0.5

// Shared with the checkpointer thread (RESTART_GATE in checkpointer-thread.mjs): WANTED while it makes
// the WAL start over, WRITING while this thread is in a write transaction.
const WANTED = 0
const WRITING = 1
const gate = restartGate && new Int32Array(restartGate)

function lock() {
  const deadline = performance.now() + busyTimeoutMs
  const timedOut = () => new Error(`database is locked (waited ${busyTimeoutMs} ms)`)
  for (;;) {
    if (gate) {
      while (Atomics.load(gate, WANTED) === 1) {
        const left = deadline - performance.now()
        if (left <= 0) throw timedOut()
        Atomics.wait(gate, WANTED, 1, left)
      }
      Atomics.store(gate, WRITING, 1)
      // The checkpointer may have asked in between: let it go first.
      if (Atomics.load(gate, WANTED) === 1) {
        unlock()
        continue
      }
    }
    try {
      begin.run()
      return
    } catch (error) {
      unlock()
      if (!String(error.code).startsWith('SQLITE_BUSY')) throw error
      if (performance.now() >= deadline) throw timedOut()
      Atomics.wait(nap, 0, 0, LOCK_RETRY_MS)
    }
  }
}

function unlock() {
  if (!gate) return
  Atomics.store(gate, WRITING, 0)
  Atomics.notify(gate, WRITING)
}

/**
 * A batch: `text` holds every string field of every row back to back (the headers' JSON last in each
 * row); `numbers` holds, per row, the length of each string field (-1: null), then received_at,
 * occurred_at (-1: null) and the body's length; `bodies` the bodies back to back (the buffer may be
 * longer: it is reused from batch to batch).
 */
function write({ count, text, numbers, bodies }) {
  const ids = new Float64Array(count)
  const bytes = Buffer.from(bodies)
  let t = 0
  let n = 0
  let b = 0
  // The event's columns: the string fields but the last (the headers), then body_bytes, received_at,
  // occurred_at and next_attempt_at.
  const params = new Array(stringFields + 3)
  const strings = new Array(stringFields)
  lock()
  try {
    for (let row = 0; row < count; row++) {
      for (let f = 0; f < stringFields; f++) {
        const length = numbers[n++]
        if (length < 0) strings[f] = null
        else {
          strings[f] = text.slice(t, t + length)
          t += length
        }
      }
      const receivedAt = numbers[n++]
      const occurredAt = numbers[n++]
      const bodyLength = numbers[n++]
      const body = bytes.subarray(b, b + bodyLength)
      b += bodyLength
      for (let f = 0; f < stringFields - 1; f++) params[f] = strings[f]
      params[stringFields - 1] = bodyLength
      params[stringFields] = receivedAt
      params[stringFields + 1] = occurredAt < 0 ? null : occurredAt
      params[stringFields + 2] = receivedAt // next_attempt_at: due at once
      const inserted = insert.get(params)
      if (inserted) insertPayload.run(inserted.id, strings[stringFields - 1], body)
      ids[row] = inserted ? inserted.id : 0
    }
    commit.run()
  } catch (error) {
    if (db.inTransaction) rollback.run()
    throw error
  } finally {
    unlock()
  }
  return ids
}

parentPort.postMessage('ready')

parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close()
    parentPort.close()
    return
  }
  if (message.pragma) {
    try {
      parentPort.postMessage({ pragma: true, value: db.pragma(message.pragma, { simple: true }) ?? null })
    } catch (error) {
      parentPort.postMessage({ pragma: true, error: error.message })
    }
    return
  }
  try {
    const ids = write(message)
    // The bodies' buffer goes back for the next batch (append-thread.ts): SQLite copied what it stores.
    parentPort.postMessage({ ids, bodies: message.bodies }, [ids.buffer, message.bodies])
  } catch (error) {
    parentPort.postMessage({ error: error.message, code: error.code, bodies: message.bodies }, message.bodies ? [message.bodies] : [])
  }
})
