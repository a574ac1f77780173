// Nothing acknowledged is lost. A real `inhook serve` child takes signed deliveries from 32 concurrent
// senders and is killed with SIGKILL at random moments — in the middle of group commits and worker
// transactions — then restarted on the same database file. Senders retry what got no answer.
import { sign } from '@octokit/webhooks-methods'
import Database from 'better-sqlite3'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir, waitFor } from '../helpers/gateway.ts'
import { startServe, type ServeProcess } from '../helpers/cli.ts'

const SECRET = 'crash-test-secret'
const SENDERS = 32
const KILLS = 4
/** Each round is killed after a random number of acknowledgements in this range: a random moment under load. */
const ACKS_BEFORE_KILL: [number, number] = [150, 600]
const LEASE_MS = 300

/** A promise and its resolve (Promise.withResolvers is Node 22). */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

interface Figures {
  sent: number
  requests: number
  acknowledged: number
  noAnswer: number
  /** Retries of a delivery that got no answer, found already stored (committed just before the kill). */
  alreadyStored: number
  unavailable: number
  stored: number
  lost: number
  duplicatesStored: number
  processingAtKill: number[]
  reprocessed: number
}

describe('crash under load', () => {
  const { dir, cleanup } = tempDir('inhook-crash-')
  afterAll(cleanup)

  it('keeps every acknowledged delivery exactly once across SIGKILLs, and processes what was leased', { timeout: 60_000 }, async () => {
    const dbFile = join(dir, 'inhook.db')
    const handled = join(dir, 'handled.log')
    writeFileSync(handled, '')
    const configFile = join(dir, 'inhook.config.ts')
    writeFileSync(
      configFile,
      `import { appendFileSync } from 'node:fs'
export default {
  database: { url: ${JSON.stringify(`file:${dbFile}`)} },
  log: { level: 'fatal' },
  worker: { leaseMs: ${LEASE_MS}, pollMs: 50, concurrency: 16, graceMs: 200 },
  sources: { github: { provider: 'github', secret: ${JSON.stringify(SECRET)} } },
  handlers: {
    github: {
      // Some work, so that events sit in 'processing' while ingest commits around them.
      '*': async (event) => {
        await new Promise((resolve) => setTimeout(resolve, 2 + (Number(event.id) % 5)))
        appendFileSync(${JSON.stringify(handled)}, event.id + '\\n')
      },
    },
  },
}
`,
    )

    const bodies = new Map<string, string>()
    const acked = new Set<string>()
    const unexpected: string[] = []
    const figures: Figures = { sent: 0, requests: 0, acknowledged: 0, noAnswer: 0, alreadyStored: 0, unavailable: 0, stored: 0, lost: 0, duplicatesStored: 0, processingAtKill: [], reprocessed: 0 }
    const leasedAtKill = new Set<string>()

    // The server's current address; undefined while it is down. Senders wait for `up` then.
    let url: string | undefined
    let up = signal()
    let acksThisRound = 0
    let ackTarget = 0
    let killNow = signal()
    let generating = true

    async function deliver(id: string): Promise<void> {
      const body = bodies.get(id)!
      const signature = await sign(SECRET, body)
      for (;;) {
        while (!url) await up.promise
        const target = url
        figures.requests++
        let status: number
        try {
          const res = await fetch(`${target}/webhooks/github`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': signature },
            body,
            signal: AbortSignal.timeout(10_000),
          })
          status = res.status
          if ((await res.text()).includes('"duplicate":true')) figures.alreadyStored++
        } catch {
          figures.noAnswer++ // killed mid-request, or refused while down: retry the same delivery
          if (url === target) await new Promise((r) => setTimeout(r, 5))
          continue
        }
        if (status >= 200 && status < 300) {
          acked.add(id)
          if (++acksThisRound === ackTarget) killNow.resolve()
          return
        }
        if (status === 503) {
          figures.unavailable++
          continue
        }
        unexpected.push(`${id}: ${status}`)
        return
      }
    }

    async function sender(n: number): Promise<void> {
      for (let i = 0; generating; i++) {
        const id = `s${n}-${i}`
        bodies.set(id, JSON.stringify({ sender: n, seq: i, pad: 'x'.repeat((n * 37 + i * 11) % 900) }))
        figures.sent++
        await deliver(id)
      }
    }

    const integrity = () => {
      const db = new Database(dbFile)
      try {
        return db.pragma('integrity_check', { simple: true })
      } finally {
        db.close()
      }
    }

    let server: ServeProcess = await startServe(['--config', configFile])
    url = server.url
    up.resolve()
    ackTarget = ACKS_BEFORE_KILL[0] + Math.floor(Math.random() * (ACKS_BEFORE_KILL[1] - ACKS_BEFORE_KILL[0]))
    const senders = Array.from({ length: SENDERS }, (_, n) => sender(n))

    for (let round = 0; round < KILLS; round++) {
      await killNow.promise
      server.child.kill('SIGKILL')
      url = undefined
      up = signal()
      expect((await server.exited).signal).toBe('SIGKILL')
      expect(integrity()).toBe('ok')
      // What the dead process held leased: it must be processed once the lease expires.
      const db = new Database(dbFile, { readonly: true })
      const leased = db.prepare<[], { id: number }>(`SELECT id FROM events WHERE status = 'processing'`).all()
      db.close()
      figures.processingAtKill.push(leased.length)
      for (const { id } of leased) leasedAtKill.add(String(id))

      server = await startServe(['--config', configFile])
      acksThisRound = 0
      ackTarget = ACKS_BEFORE_KILL[0] + Math.floor(Math.random() * (ACKS_BEFORE_KILL[1] - ACKS_BEFORE_KILL[0]))
      killNow = signal()
      if (round === KILLS - 1) generating = false // the last server takes only what is still owed
      url = server.url
      up.resolve()
    }
    await Promise.all(senders)

    // Every stored event gets processed, including those the killed processes held leased.
    const db = new Database(dbFile, { readonly: true })
    try {
      await waitFor(() => db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM events WHERE status <> 'processed'`).get()!.n === 0, { timeoutMs: 15_000, intervalMs: 50 })
      const rows = db.prepare<[], { id: number; delivery_id: string; body: Buffer | null; attempts: number }>(`SELECT id, delivery_id, body, attempts FROM events LEFT JOIN payloads ON event_id = id`).all()
      const stored = new Map(rows.map((r) => [r.delivery_id, r]))
      figures.acknowledged = acked.size
      figures.stored = rows.length
      figures.duplicatesStored = rows.length - stored.size
      figures.lost = [...acked].filter((id) => !stored.has(id)).length
      const wrongBody = rows.filter((r) => r.body?.toString() !== bodies.get(r.delivery_id)).map((r) => r.delivery_id)
      const handledIds = new Set(readFileSync(handled, 'utf8').split('\n').filter(Boolean))
      const neverHandled = rows.filter((r) => !handledIds.has(String(r.id))).map((r) => r.id)
      const leasedRows = rows.filter((r) => leasedAtKill.has(String(r.id)))
      figures.reprocessed = leasedRows.filter((r) => r.attempts > 1).length

      console.log(`crash test figures: ${JSON.stringify(figures)}`)
      expect(unexpected).toEqual([])
      expect(figures.lost).toBe(0)
      expect(figures.duplicatesStored).toBe(0)
      expect(figures.stored).toBe(figures.acknowledged)
      expect(figures.acknowledged).toBe(figures.sent)
      expect(wrongBody).toEqual([])
      expect(neverHandled).toEqual([])
      // The kills landed while the worker held leases, and every such event ran again after its lease expired.
      expect(leasedAtKill.size).toBeGreaterThan(0)
      expect(figures.reprocessed).toBe(leasedRows.length)
    } finally {
      db.close()
    }
    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
    expect(integrity()).toBe('ok')
  })
})
