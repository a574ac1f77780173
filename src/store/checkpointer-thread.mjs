// The checkpointer's thread (see checkpointer.ts). Plain JavaScript: worker threads do not inherit the
// TypeScript loader. It owns its own connection to the database file.
import { createRequire } from 'node:module'
import { parentPort, workerData } from 'node:worker_threads'

const Database = createRequire(import.meta.url)('better-sqlite3')
const { file, synchronous, intervalMs, restartPages, busyTimeoutMs } = workerData
const db = new Database(file, { fileMustExist: true })
db.pragma(`busy_timeout = ${busyTimeoutMs}`)
// The checkpoint's fsyncs follow this connection's setting: the same as the writer's.
db.pragma(`synchronous = ${synchronous}`)
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)')
let timer

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
      restart.get()
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
