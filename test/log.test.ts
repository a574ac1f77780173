import { sign } from '@octokit/webhooks-methods'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../src/config.ts'
import { startGateway, type Gateway } from '../src/gateway.ts'
import { createLogger } from '../src/log.ts'
import { tempDir } from './helpers/gateway.ts'

const SECRET = 'log-test-webhook-secret-value'
const TOKEN = 'log-test-admin-token-value-0123'
const CREDENTIAL = 'Basic bG9nLXVzZXI6bG9nLXBhc3N3b3Jk'
const COOKIE = 'session=log-test-cookie-value'

/** Collects what the logger writes, line by line. */
class Capture extends Writable {
  readonly lines: string[] = []
  override _write(chunk: Buffer, _: BufferEncoding, done: () => void) {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean))
    done()
  }
  get records() {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  }
}

async function delivery(body: string, deliveryId: string, secret = SECRET) {
  const signature = await sign(secret, body)
  return { signature, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': deliveryId, 'x-hub-signature-256': signature, authorization: CREDENTIAL, cookie: COOKIE }, body }
}

describe('logs', () => {
  const capture = new Capture()
  const { dir, cleanup } = tempDir()
  let gw: Gateway
  const signatures: string[] = []
  const send = async (d: Awaited<ReturnType<typeof delivery>>) => {
    signatures.push(d.signature)
    return fetch(`${gw.url}/webhooks/github`, { method: 'POST', headers: d.headers, body: d.body })
  }

  beforeAll(async () => {
    const config = await resolveConfig({
      server: { port: 0, host: '127.0.0.1' },
      database: { url: `file:${dir}/inhook.db` },
      admin: { token: TOKEN },
      worker: { enabled: false },
      sources: { github: { provider: 'github', secret: SECRET } },
    })
    gw = await startGateway(config, { log: createLogger('info', { destination: capture }), worker: false })
  })
  afterAll(async () => {
    await gw.stop()
    cleanup()
  })

  it('writes nothing for accepted deliveries at the default level', async () => {
    const before = capture.lines.length
    for (let i = 0; i < 5; i++) expect((await send(await delivery(`{"n":${i}}`, `ok-${i}`))).status).toBe(200)
    expect((await send(await delivery('{"n":0}', 'ok-0'))).status).toBe(200) // duplicate
    expect(capture.lines.slice(before)).toEqual([])
  })

  it('writes one line per refused request, with its reason and hint', async () => {
    const before = capture.lines.length
    expect((await send(await delivery('{}', 'forged', 'wrong-secret'))).status).toBe(401)
    expect((await fetch(`${gw.url}/webhooks/github`, { method: 'POST', body: '{}' })).status).toBe(401)
    const lines = capture.records.slice(before)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({ level: 40, msg: 'request refused', source: 'github', status: 401, reason: 'mismatch' })
    expect(lines[1]).toMatchObject({ reason: 'missing-signature', hint: expect.stringContaining('X-Hub-Signature-256') })
  })

  it('writes nothing for admin API and console use, right token or wrong', async () => {
    const before = capture.lines.length
    await fetch(`${gw.url}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` } })
    await fetch(`${gw.url}/api/events`, { headers: { authorization: `Bearer ${TOKEN}x` } })
    await fetch(`${gw.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: TOKEN }) })
    await fetch(`${gw.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: 'wrong-token-wrong-token' }) })
    expect(capture.lines.slice(before)).toEqual([])
  })

  it('never writes a secret, a signature, the admin token or a redacted header', () => {
    const all = capture.lines.join('\n')
    expect(capture.lines.length).toBeGreaterThan(0)
    for (const secret of [SECRET, 'wrong-secret', TOKEN, CREDENTIAL, 'bG9nLXVzZXI6bG9nLXBhc3N3b3Jk', 'log-test-cookie-value', ...signatures]) expect(all).not.toContain(secret)
  })

  it('redacts secret-looking fields and headers that are logged by mistake', () => {
    const out = new Capture()
    const log = createLogger('info', { destination: out })
    log.info({ secret: 'a', token: 'b', source: { secrets: ['c'] }, headers: { authorization: 'd', cookie: 'e', 'x-ok': 'f' } }, 'oops')
    const [record] = out.records
    expect(record).toMatchObject({ secret: '[redacted]', token: '[redacted]', source: { secrets: '[redacted]' }, headers: { authorization: '[redacted]', cookie: '[redacted]', 'x-ok': 'f' } })
  })
})
