// Holding a database's write lock from another connection, for the writers' lock tests.
import Database from 'better-sqlite3'
import { expect } from 'vitest'
import { waitFor } from './gateway.ts'

/** Another connection to `file` that takes the write lock now (BEGIN IMMEDIATE); `release` and `take` toggle it, `close` ends it. */
export function lockElsewhere(file: string) {
  const other = new Database(file)
  const take = () => void other.prepare('BEGIN IMMEDIATE').run()
  const release = () => {
    if (other.inTransaction) other.prepare('ROLLBACK').run()
  }
  take()
  return {
    take,
    release,
    close() {
      release()
      other.close()
    },
  }
}

/** Asserts that `write` is still pending while the event loop keeps turning (timers fire): the wait does not block it. */
export async function expectPendingWhileLoopTurns(write: Promise<unknown>): Promise<void> {
  let settled = false
  void write.then(
    () => (settled = true),
    () => (settled = true),
  )
  let ticks = 0
  await waitFor(() => ++ticks >= 5, { intervalMs: 5 })
  expect(settled).toBe(false)
}
