// Per-key ordering (sources with `ordering`). The pending events of one (source, ordering_key) form a
// line, in order of order_at (the provider's event time, else the receipt time), then id. Only the head
// of a line may be claimed, and only while no event of the line runs: every other waiting event of the
// key has blocked = 1, so the worker's claim stays one indexed range scan (events_due) whatever the
// backlog. Every write that changes a line settles it, in the same transaction.
import type Database from 'better-sqlite3'

export interface Lines {
  /** Restores the line's invariant after a change: its head runnable when nothing of the key runs, the rest blocked. */
  settle(source: string, key: string | null): void
}

export function createLines(client: Database.Database): Lines {
  // At most one row in a settled line (the runnable head or the running event); a few while settling.
  const active = client.prepare<[string, string], { id: number; status: string }>(
    `SELECT id, status FROM events WHERE source = ? AND ordering_key = ?
       AND order_at IS NOT NULL AND (status = 'processing' OR (status = 'new' AND blocked = 0))`,
  )
  const head = client.prepare<[string, string], { id: number; status: string }>(
    `SELECT id, status FROM events WHERE source = ? AND ordering_key = ?
       AND order_at IS NOT NULL AND status IN ('new', 'processing') ORDER BY order_at, id LIMIT 1`,
  )
  const setBlocked = client.prepare<[number, number]>(`UPDATE events SET blocked = ? WHERE id = ?`)
  return {
    settle(source, key) {
      if (key === null) return
      const current = active.all(source, key)
      const busy = current.some((r) => r.status === 'processing')
      const first = busy ? undefined : head.get(source, key)
      for (const r of current) if (r.status === 'new' && r.id !== first?.id) setBlocked.run(1, r.id)
      if (first?.status === 'new' && !current.some((r) => r.id === first.id)) setBlocked.run(0, first.id)
    },
  }
}
