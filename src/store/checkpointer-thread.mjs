// The checkpointer's thread (see checkpointer.ts). Plain JavaScript: worker threads do not inherit the
// TypeScript loader. It owns its own connection to the database file.
import { createRequire } from 'node:module'
import { parentPort, workerData } from 'node:worker_threads'

const Database = createRequire(import.meta.url)('better-sqlite3')
const { file, synchronous, intervalMs, restartPages, busyTimeoutMs, restartGate } = workerData
const db = new Database(file, { fileMustExist: true })
db.pragma(`busy_timeout = ${busyTimeoutMs}`)
// The checkpoint's fsyncs follow this connection's setting: the same as the writer's.
db.pragma(`synchronous = ${synchronous}`)
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)')
let timer

// RESTART_GATE: the checkpointer and the append thread share two slots. WANTED is 1 while a RESTART is
// wanted or runs; WRITING is 1 while the append thread is in (or starting) a write transaction. A
// RESTART holds the write lock while it syncs and copies what is left, and then waits for every reader
// to leave the WAL. The append thread, retrying BEGIN every half millisecond, was such a reader each
// time, and SQLite's busy handler backs off 1, 2, 5, 10 ms…: the RESTART held the write lock 17-25 ms
// at half load in most restarts. Now the append thread waits, without touching the database, from the
// moment a RESTART is wanted until it is done: 2-5 ms in most restarts (README § Performance).
const WANTED = 0
const WRITING = 1
const gate = restartGate && new Int32Array(restartGate)
/** How long a RESTART waits for a batch in progress to commit, then for the write lock and readers. */
const RESTART_WAIT_MS = 100

function restartWal() {
  if (!gate) return restart.get()
  Atomics.store(gate, WANTED, 1)
  try {
    const deadline = performance.now() + RESTART_WAIT_MS
    while (Atomics.load(gate, WRITING) === 1) {
      const left = deadline - performance.now()
      if (left <= 0) break
      Atomics.wait(gate, WRITING, 1, left)
    }
    // Bounded: a long read elsewhere (a listing, say) must not keep every writer out for seconds. A
    // RESTART that gives up has still copied the WAL; the next tick tries again.
    db.pragma(`busy_timeout = ${RESTART_WAIT_MS}`)
    return restart.get()
  } finally {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`)
    Atomics.store(gate, WANTED, 0)
    Atomics.notify(gate, WANTED)
  }
}

function tick() {
  try {
    // PASSIVE copies what it can without ever blocking a writer. Under steady writes it rarely catches
    // up completely, so the WAL would only grow: past restartPages, RESTART waits for the writer,
    // finishes, and makes the next transaction start the WAL from the beginning.
    let { log } = passive.get()
    if (log >= restartPages) {
      // RESTART blocks writers while it copies what is left and syncs, so first catch up without
      // blocking: each further PASSIVE copies only what was committed during the one before (a
      // checkpoint reports the WAL as it was when it began). This took the stall from 30-40 ms to
      // 3-20 ms under full load (README § Performance).
      for (let i = 0, before = 0; i < 4 && log - before > 64; i++) {
        before = log
        ;({ log } = passive.get())
      }
      restartWal()
    }
  } catch (error) {
    parentPort.postMessage({ error: error.message })
  }
  timer = setTimeout(tick, intervalMs)
}

parentPort.on('message', (message) => {
  if (message !== 'stop') return
  clearTimeout(timer)
  db.close()
  parentPort.close()
})
timer = setTimeout(tick, intervalMs)
