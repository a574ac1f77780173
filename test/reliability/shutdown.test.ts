// Graceful shutdown under load: SIGTERM while requests are in flight. Every request is either answered
// 2xx and stored, or not answered at all; the process exits 0 within the grace period; a handler still
// running when the grace period ends gives its event back.
import { sign } from '@octokit/webhooks-methods'
import Database from 'better-sqlite3'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir, waitFor } from '../helpers/gateway.ts'
import { startServe, type ServeProcess } from '../helpers/cli.ts'

const SECRET = 'shutdown-test-secret'
const GRACE_MS = 1500
/** Bound on how long exiting may take beyond the grace period (process teardown on a busy machine). */
const EXIT_SLACK_MS = 3000

function writeConfig(dir: string, handler: string): { configFile: string; dbFile: string } {
  const dbFile = join(dir, 'inhook.db')
  const configFile = join(dir, 'inhook.config.ts')
  writeFileSync(
    configFile,
    `export default {
  database: { url: ${JSON.stringify(`file:${dbFile}`)} },
  log: { level: 'fatal' },
  worker: { graceMs: ${GRACE_MS}, pollMs: 50 },
  sources: { github: { provider: 'github', secret: ${JSON.stringify(SECRET)} } },
  handlers: { github: { '*': ${handler} } },
}
`,
  )
  return { configFile, dbFile }
}

/** Waits for the process to exit, failing if it takes longer than `ms`. */
function exitWithin(server: ServeProcess, ms: number) {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running ${ms} ms after SIGTERM`)), ms)))
  return Promise.race([server.exited, late]).finally(() => clearTimeout(timer))
}

describe('graceful shutdown', () => {
  const dirs: (() => void)[] = []
  afterAll(() => dirs.forEach((cleanup) => cleanup()))

  it('on SIGTERM under load, answers every request 2xx-and-stored or not at all, and exits 0 within the grace period', { timeout: 30_000 }, async () => {
    const { dir, cleanup } = tempDir('inhook-shutdown-')
    dirs.push(cleanup)
    const { configFile, dbFile } = writeConfig(dir, `async () => { await new Promise((r) => setTimeout(r, 20)) }`)
    const server = await startServe(['--config', configFile])

    const acked = new Set<string>()
    const otherStatuses: string[] = []
    let noAnswer = 0
    let sent = 0
    let terminate: () => void
    const terminateAt = new Promise<void>((r) => (terminate = r))
    const sender = async (n: number) => {
      for (let i = 0; ; i++) {
        const id = `t${n}-${i}`
        const body = JSON.stringify({ n, i })
        sent++
        try {
          const res = await fetch(`${server.url}/webhooks/github`, {
            method: 'POST',
            headers: { 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': await sign(SECRET, body) },
            body,
            signal: AbortSignal.timeout(GRACE_MS + EXIT_SLACK_MS),
          })
          await res.arrayBuffer()
          if (res.ok) acked.add(id)
          else otherStatuses.push(`${id}: ${res.status}`)
          if (acked.size === 300) terminate()
        } catch {
          noAnswer++ // the server has stopped accepting: this sender is done
          return
        }
      }
    }
    const senders = Array.from({ length: 32 }, (_, n) => sender(n))
    await terminateAt
    server.child.kill('SIGTERM')
    const exit = await exitWithin(server, GRACE_MS + EXIT_SLACK_MS)
    await Promise.all(senders)

    expect(exit).toEqual({ code: 0, signal: null })
    expect(otherStatuses).toEqual([])
    const db = new Database(dbFile, { readonly: true })
    try {
      const stored = new Set(db.prepare<[], { d: string }>(`SELECT delivery_id AS d FROM events`).all().map((r) => r.d))
      const lost = [...acked].filter((id) => !stored.has(id))
      console.log(`shutdown figures: ${JSON.stringify({ sent, acknowledged: acked.size, noAnswer, stored: stored.size, lost: lost.length })}`)
      expect(lost).toEqual([])
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      // Handlers that were running finished (20 ms each, well within the grace period): nothing left leased.
      expect(db.prepare(`SELECT count(*) AS n FROM events WHERE status = 'processing'`).get()).toEqual({ n: 0 })
    } finally {
      db.close()
    }
  })

  it('releases an event whose handler outlives the grace period, and still exits 0 in time', { timeout: 30_000 }, async () => {
    const { dir, cleanup } = tempDir('inhook-shutdown-')
    dirs.push(cleanup)
    const { configFile, dbFile } = writeConfig(dir, `async (event, ctx) => { await new Promise((r) => setTimeout(r, 60_000)) }`)
    const server = await startServe(['--config', configFile])
    const body = '{"slow":true}'
    const res = await fetch(`${server.url}/webhooks/github`, {
      method: 'POST',
      headers: { 'x-github-event': 'push', 'x-github-delivery': 'slow-1', 'x-hub-signature-256': await sign(SECRET, body) },
      body,
    })
    expect(res.status).toBe(200)
    const db = new Database(dbFile, { readonly: true })
    try {
      await waitFor(() => db.prepare<[], { status: string }>(`SELECT status FROM events WHERE delivery_id = 'slow-1'`).get()?.status === 'processing')
      server.child.kill('SIGTERM')
      expect(await exitWithin(server, GRACE_MS + EXIT_SLACK_MS)).toEqual({ code: 0, signal: null })
      // Given back: due now, the interrupted attempt not counted.
      expect(db.prepare(`SELECT status, attempts, lease_until FROM events WHERE delivery_id = 'slow-1'`).get()).toEqual({ status: 'new', attempts: 0, lease_until: null })
    } finally {
      db.close()
    }
  })
})
