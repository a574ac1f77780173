import { request } from 'node:http'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../src/store/database.ts'
import { SqliteStore } from '../src/store/sqlite-store.ts'
import { tempDir, waitFor } from './helpers/gateway.ts'
import { startServe } from './helpers/cli.ts'
import { githubDelivery } from './helpers/wire.ts'

const SECRET = 'cluster-test-secret'

/** One request on a connection of its own (the cluster hands out connections, not requests). */
function send(url: string, method: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('inhook serve --workers 2', () => {
  it('shares the port between two processes, runs one worker loop, and stops them all on SIGTERM', async () => {
    const { dir, cleanup } = tempDir()
    const db = join(dir, 'cluster.db')
    const config = join(dir, 'inhook.config.json')
    writeFileSync(config, JSON.stringify({ database: { url: `file:${db}` }, log: { level: 'warn' }, worker: { pollMs: 50 }, sources: { github: { provider: 'github', secret: SECRET } } }))
    const serve = await startServe(['--config', config, '--workers', '2'], { timeoutMs: 30_000 })
    try {
      // 21 deliveries, each on its own connection: an odd count, so two processes cannot have counted the same.
      for (let i = 0; i < 21; i++) {
        const { headers, body } = await githubDelivery(SECRET, `{"n":${i}}`, `cluster-${i}`)
        expect((await send(`${serve.url}/webhooks/github`, 'POST', headers, body)).status).toBe(200)
      }
      const accepted = new Set<number>()
      for (let i = 0; i < 8; i++) {
        const metrics = (await send(`${serve.url}/metrics`, 'GET')).text
        accepted.add(Number(/inhook_ingest_requests_total\{[^}]*outcome="accepted"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0))
      }
      expect(accepted.size).toBe(2)
      expect([...accepted].reduce((a, b) => a + b)).toBe(21)

      // Worker #1 alone runs the worker loop: every event processed, each with one attempt.
      const store = new SqliteStore(openDatabase(`file:${db}`, { migrate: false }))
      try {
        await waitFor(async () => (await store.countWhere({ status: 'processed' })) === 21, { timeoutMs: 10_000, intervalMs: 50 })
        const { items } = await store.list({ limit: 50 })
        expect(items.map((e) => e.attempts)).toEqual(Array(21).fill(1))
      } finally {
        await store.close()
      }

      const workers = readFileSync(`/proc/${serve.child.pid}/task/${serve.child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number)
      expect(workers).toHaveLength(2)
      serve.child.kill('SIGTERM')
      expect(await serve.exited).toEqual({ code: 0, signal: null })
      await waitFor(() => workers.every((pid) => !alive(pid)), { timeoutMs: 5000 })
    } finally {
      if (serve.child.exitCode === null) serve.child.kill('SIGKILL')
      cleanup()
    }
  }, 60_000)
})
