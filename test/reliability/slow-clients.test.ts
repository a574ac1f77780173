// It keeps answering: slow headers and slow bodies are cut off by the server's timeouts, thousands of
// idle connections do not stop a real delivery, and request heads are bounded in size and count.
import { execFileSync } from 'node:child_process'
import type { Socket } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts'
import { githubDelivery, openSocket, rawExchange, requestHead } from '../helpers/wire.ts'

const SECRET = 'slow-client-secret'
const sources = { github: { provider: 'github', secret: SECRET } }

describe('slow clients (short server timeouts)', () => {
  let gw: TestGateway
  beforeAll(async () => {
    gw = await startTestGateway({ server: { headersTimeoutMs: 300, requestTimeoutMs: 800 }, sources })
  })
  afterAll(() => gw.close())

  it('answers 408 and closes a connection whose headers never finish (slowloris)', async () => {
    const answer = await rawExchange(gw.port, ['POST /webhooks/github HTTP/1.1\r\n', 'host: 127.0.0.1\r\n', 'x-a: 1\r\n', 'x-b: 2\r\n'], { pauseMs: 50, waitMs: 5000 })
    expect(answer.status).toBe(408)
    expect(answer.closedByServer).toBe(true)
  })

  it('closes a connection that never sends a byte', async () => {
    const answer = await rawExchange(gw.port, [], { waitMs: 5000 })
    expect(answer.closedByServer).toBe(true)
  })

  it('cuts off a body that trickles in slower than the request timeout, and stores nothing', async () => {
    const delivery = await githubDelivery(SECRET, `{"pad":"${'x'.repeat(200)}"}`, 'slow-body')
    const head = requestHead('github', { ...delivery.headers, 'content-length': delivery.body.length })
    const trickle = [...delivery.body].map((byte) => Buffer.from([byte]))
    const answer = await rawExchange(gw.port, [head, ...trickle], { pauseMs: 20, waitMs: 5000 })
    expect(answer.closedByServer).toBe(true)
    expect(answer.status === undefined || answer.status === 408).toBe(true)
    expect((await gw.store.list({})).items.filter((e) => e.deliveryId === 'slow-body')).toEqual([])
  })

  it('still answers a prompt delivery after the slow ones', async () => {
    const res = await gw.send('github', await githubDelivery(SECRET, '{}', 'prompt-1'))
    expect(res.status).toBe(200)
  })
})

/** Idle connections the machine allows us, both ends living in this process: two descriptors each. */
function idleConnectionBudget(wanted: number): number {
  let limit = 1024
  try {
    limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) || limit
  } catch {
    // keep the conservative default
  }
  return Math.max(100, Math.min(wanted, Math.floor((limit - 512) / 2)))
}

describe('many idle connections', () => {
  let gw: TestGateway
  const sockets: Socket[] = []
  afterEach(async () => {
    for (const s of sockets) s.destroy()
    await gw?.close()
  })

  it('a few thousand idle or half-sent connections do not stop a real delivery from being answered', async () => {
    gw = await startTestGateway({ sources })
    const count = idleConnectionBudget(3000)
    for (let i = 0; i < count; i += 200) {
      const batch = await Promise.all(Array.from({ length: Math.min(200, count - i) }, () => openSocket(gw.port)))
      // Half of them start a request and stall in the middle of the headers.
      for (const [j, s] of batch.entries()) if (j % 2) s.write('POST /webhooks/github HTTP/1.1\r\nhost: 127.0.0.1\r\n')
      sockets.push(...batch)
    }
    const delivery = await githubDelivery(SECRET, '{"busy":true}', 'through-the-crowd')
    const res = await fetch(`${gw.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body, signal: AbortSignal.timeout(10_000) })
    expect(res.status).toBe(200)
    expect(sockets.filter((s) => !s.destroyed)).toHaveLength(count)
  })
})

describe('request head limits', () => {
  let gw: TestGateway
  beforeAll(async () => {
    gw = await startTestGateway({ server: { maxHeaderBytes: 8192, maxHeadersCount: 50 }, sources })
  })
  afterAll(() => gw.close())

  it('refuses headers larger than maxHeaderBytes with 431 and stores nothing', async () => {
    const delivery = await githubDelivery(SECRET, '{}', 'big-head', { 'x-padding': 'p'.repeat(9000) })
    const answer = await rawExchange(gw.port, [requestHead('github', { ...delivery.headers, 'content-length': 2 }), delivery.body])
    expect(answer.status).toBe(431)
    expect((await gw.store.list({})).items).toEqual([])
  })

  it('refuses more than maxHeadersCount headers with 431 and stores nothing; at the limit it accepts', async () => {
    const junk = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-junk-${i}`, String(i)]))
    // fetch adds host, connection, accept, accept-language, sec-fetch-mode, user-agent, accept-encoding and content-length.
    const own = Object.keys((await githubDelivery(SECRET, '{}')).headers).length + 8
    const over = await gw.send('github', await githubDelivery(SECRET, '{}', 'many-headers', junk(120)))
    expect(over.status).toBe(431)
    const at = await gw.send('github', await githubDelivery(SECRET, '{}', 'enough-headers', junk(50 - own)))
    expect(at.status).toBe(200)
    expect((await gw.store.list({})).items.map((e) => e.deliveryId)).toEqual(['enough-headers'])
  })

  it('a signature pushed past the header count never gets a delivery accepted', async () => {
    const delivery = await githubDelivery(SECRET, '{}', 'late-signature')
    const { 'x-hub-signature-256': signature, ...rest } = delivery.headers
    const junk = Array.from({ length: 60 }, (_, i) => `x-junk-${i}: ${i}\r\n`).join('')
    const head = `POST /webhooks/github HTTP/1.1\r\nhost: 127.0.0.1\r\n${junk}${Object.entries(rest).map(([k, v]) => `${k}: ${v}\r\n`).join('')}x-hub-signature-256: ${signature}\r\ncontent-length: 2\r\nconnection: close\r\n\r\n`
    const answer = await rawExchange(gw.port, [head, delivery.body])
    expect(answer.status).toBe(431)
  })
})
