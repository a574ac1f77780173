import { sign } from '@octokit/webhooks-methods'
import Database from 'better-sqlite3'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogueMarkdown } from '../../src/catalogue.ts'
import { runCli, startServe } from '../helpers/cli.ts'
import { tempDir } from '../helpers/gateway.ts'

const SECRET = 'process-level-secret'

describe('inhook serve (child process)', () => {
  let dir: string
  let cleanup: () => void
  let configFile: string
  let dbFile: string
  beforeAll(() => {
    ;({ dir, cleanup } = tempDir())
    dbFile = join(dir, 'data', 'inhook.db')
    configFile = join(dir, 'inhook.config.json')
    writeFileSync(
      configFile,
      JSON.stringify({
        database: { url: `file:${dbFile}` },
        admin: { token: { env: 'TEST_ADMIN_TOKEN' } },
        sources: { github: { provider: 'github', secret: { env: 'TEST_GITHUB_SECRET' } }, stripe: { provider: 'stripe', secret: 'whsec_test' } },
      }),
    )
  })
  afterAll(() => cleanup())

  const env = { TEST_GITHUB_SECRET: SECRET, TEST_ADMIN_TOKEN: 'process-level-admin-token' }

  it('stores every acknowledged delivery across a SIGTERM and a restart', async () => {
    const acknowledged: string[] = []
    const send = async (url: string, id: string) => {
      const body = JSON.stringify({ delivery: id, padding: 'x'.repeat(200) })
      const res = await fetch(`${url}/webhooks/github`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': await sign(SECRET, body) },
        body,
      }).catch(() => undefined)
      if (res?.status === 200) acknowledged.push(id)
      return res?.status
    }

    const first = await startServe(['--config', configFile], { env })
    expect(first.output()).toContain(`github         github             ${first.url}/webhooks/github`)
    expect(first.output()).toMatch(/database\s+.*inhook\.db \(synchronous=NORMAL\)/)
    expect(first.output()).not.toContain('process-level-admin-token') // a configured token is not printed
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => send(first.url, `first-${i}`)))
    expect(statuses.every((s) => s === 200)).toBe(true)
    // Requests in flight while SIGTERM arrives: each is either acknowledged (and stored) or not answered.
    const inFlight = Array.from({ length: 40 }, (_, i) => send(first.url, `during-${i}`))
    expect(await first.stop('SIGTERM')).toBe(0)
    await Promise.all(inFlight)

    const second = await startServe(['--config', configFile], { env })
    for (let i = 0; i < 20; i++) expect(await send(second.url, `second-${i}`)).toBe(200)
    expect(await second.stop('SIGTERM')).toBe(0)

    const db = new Database(dbFile, { readonly: true })
    const stored = db.prepare('SELECT delivery_id, count(*) AS n FROM events GROUP BY delivery_id').all() as { delivery_id: string; n: number }[]
    db.close()
    const byId = new Map(stored.map((r) => [r.delivery_id, r.n]))
    expect(acknowledged.length).toBeGreaterThanOrEqual(60)
    expect(acknowledged.filter((id) => byId.get(id) !== 1)).toEqual([])
  })

  it('sends a signed sample delivery with `inhook send`', async () => {
    const server = await startServe(['--config', configFile], { env })
    try {
      const result = await runCli(['send', 'stripe', '--config', configFile, '--to', `${server.url}/webhooks/stripe`], { env })
      expect(result.stderr).toBe('')
      expect(result.stdout).toMatch(/^POST .*\/webhooks\/stripe → 200 OK/)
      const list = await runCli(['events', 'list', '--config', configFile, '--source', 'stripe', '--json'], { env })
      expect(JSON.parse(list.stdout.trim().split('\n')[0]!)).toMatchObject({ source: 'stripe', provider: 'stripe', type: 'payment_intent.succeeded' })
    } finally {
      await server.stop()
    }
  })

  it('says clearly when `inhook send` cannot reach the gateway', async () => {
    const result = await runCli(['send', 'github', '--config', configFile, '--to', 'http://127.0.0.1:9/webhooks/github'], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^inhook: could not reach http:\/\/127\.0\.0\.1:9\/webhooks\/github: .*\(is the gateway running\?\)/)
  })
})

describe('docs/providers.md', () => {
  it('is in sync with the registry (regenerate with `inhook providers --markdown`)', () => {
    expect(readFileSync(join(process.cwd(), 'docs/providers.md'), 'utf8')).toBe(catalogueMarkdown())
  })
})
