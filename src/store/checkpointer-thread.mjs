// The checkpointer's thread (see checkpointer.ts). Plain JavaScript: worker threads do not inherit the
// TypeScript loader. It owns its own connection to the database file.
import { closeSync, fdatasyncSync, openSync } from 'node:fs'
import { createRequire } from 'node:module'
import { parentPort, workerData } from 'node:worker_threads'
import { nextTickDelay } from './checkpoint-pace.mjs'

const Database = createRequire(import.meta.url)('better-sqlite3')
const { file, synchronous, intervalMs, restartPages, safetyNetPages, busyTimeoutMs, restartGate, databaseFd } = workerData
const db = open()
db.pragma(`busy_timeout = ${busyTimeoutMs}`)
// The checkpoint's fsyncs follow this connection's setting: the same as the writer's.
db.pragma(`synchronous = ${synchronous}`)
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)')
let timer

function open() {
  try {
    return new Database(file, { fileMustExist: true })
  } catch (error) {
    // Thrown from here, a SqliteError would reach the parent's 'error' event without its message.
    throw new Error(`the checkpointer could not open ${file}: ${error.message}`)
  }
}

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

// FLUSH_FIRST: SQLite syncs the database file only at the end of a checkpoint that copied the whole WAL.
// Under steady writes a PASSIVE never does (frames keep coming), so every PASSIVE since the last RESTART
// left its copied pages unsynced in the page cache, and the RESTART synced them all while it held the
// write lock: appends waited 25-45 ms at half load, the whole p99. Syncing the database file (and the
// WAL) here first, while appends go on, then copying what came meanwhile, leaves the RESTART with a few
// hundred frames to copy and sync: 1-2 ms (README § Performance). These syncs only make earlier what
// the RESTART would do anyway; a sync that finds little to write ends the loop. The database file is
// synced through a descriptor the process keeps open (checkpointer.ts says why it must not be closed).
/** A flush this short means the page cache had little left to write. */
const FLUSHED_MS = 2
const FLUSH_ROUNDS = 3

function flushFirst() {
  for (let round = 0; round < FLUSH_ROUNDS; round++) {
    const started = performance.now()
    syncWal()
    fdatasyncSync(databaseFd)
    passive.get()
    if (performance.now() - started < FLUSHED_MS) break
  }
}

function syncWal() {
  let fd
  try {
    // SQLite takes no lock on the WAL file itself (they are on the -shm file), so opening and closing it is harmless.
    fd = openSync(`${file}-wal`, 'r')
  } catch (error) {
    if (error.code === 'ENOENT') return // no WAL yet: nothing to flush
    throw error
  }
  try {
    fdatasyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

// The pace of the ticks: PACE in checkpoint-pace.mjs.
/** When the WAL last started over; undefined until a tick has seen it do so. */
let restartedAt
/** How fast the WAL grew since then, as of the last tick (pages a millisecond). */
let rate = 0
/** How long the last tick that restarted the WAL took (ms). */
let restartTook = 0

function tick() {
  const started = performance.now()
  let delay = intervalMs
  try {
    // PASSIVE copies what it can without ever blocking a writer. Under steady writes it rarely catches
    // up completely, so the WAL would only grow: past restartPages, RESTART waits for the writer,
    // finishes, and makes the next transaction start the WAL from the beginning.
    let { log } = passive.get()
    if (restartedAt !== undefined && log > 0) rate = log / (started - restartedAt)
    if (log >= restartPages) {
      // RESTART blocks writers while it copies what is left and syncs, so first catch up without
      // blocking: each further PASSIVE copies only what was committed during the one before (a
      // checkpoint reports the WAL as it was when it began). This took the stall from 30-40 ms to
      // 3-20 ms under full load (README § Performance).
      for (let i = 0, before = 0; i < 4 && log - before > 64; i++) {
        before = log
        ;({ log } = passive.get())
      }
      const flushed = synchronous !== 0 && databaseFd !== undefined
      if (flushed) flushFirst()
      // busy: it gave up waiting for the lock or for readers (RESTART_WAIT_MS); the next tick tries again.
      if (restartWal().busy === 0) {
        parentPort.postMessage({ restarted: true, flushed })
        // The WAL starts over with the next commit: its growth is measured from now.
        restartedAt = performance.now()
        restartTook = restartedAt - started
        log = 0
      }
    }
    delay = nextTickDelay({ log, rate, restartTook, restartPages, safetyNetPages, intervalMs })
  } catch (error) {
    parentPort.postMessage({ error: error.message })
  }
  timer = setTimeout(tick, delay)
}

parentPort.on('message', (message) => {
  if (message !== 'stop') return
  clearTimeout(timer)
  db.close()
  parentPort.close()
})
timer = setTimeout(tick, intervalMs)
