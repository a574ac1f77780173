// Memory held by bodies is bounded (server.bodyMemoryLimit): past it, requests wait their turn with
// their bodies unread, and are then stored like any other; nothing is refused for it, nothing lost.
// And the bodies GitHub documents (up to 25 MB) are accepted by default.
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.ts'
import { githubDelivery, openSocket, requestHead } from '../helpers/wire.ts'

const SECRET = 'body-memory-secret'
const MiB = 1024 * 1024

/** A delivery sent over a raw connection in two parts: the head and `firstBytes` of the body now, the rest on `finish()`. */
async function sendInParts(port: number, delivery: { headers: Record<string, string>; body: Buffer }, firstBytes: number) {
  const socket: Socket = await openSocket(port)
  let text = ''
  socket.on('data', (d) => (text += d.toString('latin1')))
  const answered = new Promise<number | undefined>((resolve) => {
    socket.on('data', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text)
      if (m && text.includes('\r\n\r\n')) resolve(Number(m[1]))
    })
    socket.on('close', () => resolve(undefined))
  })
  socket.write(requestHead('github', { ...delivery.headers, 'content-length': delivery.body.length }))
  if (firstBytes > 0) socket.write(delivery.body.subarray(0, firstBytes))
  return {
    socket,
    answered,
    finish() {
      socket.write(delivery.body.subarray(firstBytes))
      return answered
    },
  }
}

describe('server.bodyMemoryLimit', () => {
  let gw: TestGateway
  beforeAll(async () => {
    gw = await startTestGateway({ server: { bodyMemoryLimit: 2 * MiB }, sources: { github: { provider: 'github', secret: SECRET } } })
  })
  afterAll(() => gw.close())

  const metric = async (name: string) => {
    const text = await (await fetch(`${gw.url}/metrics`)).text()
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
    return m ? Number(m[1]) : undefined
  }
  const delivery = (id: string) => githubDelivery(SECRET, randomBytes(MiB), id)

  it('holds at most the limit: a third 1 MiB body waits, unread, until a first one is answered; all three are stored byte for byte', async () => {
    const [a, b, c] = await Promise.all([delivery('mem-a'), delivery('mem-b'), delivery('mem-c')])
    const first = await sendInParts(gw.port, a, MiB / 2)
    const second = await sendInParts(gw.port, b, MiB / 2)
    await waitFor(async () => (await metric('inhook_body_memory_bytes')) === 2 * MiB)

    let thirdStatus: number | undefined
    const third = gw.send('github', { headers: c.headers, body: c.body }).then((r) => (thirdStatus = r.status))
    await waitFor(async () => (await metric('inhook_body_memory_waiting')) === 1)
    expect(thirdStatus).toBeUndefined()
    // A request without a body needs no room: it is answered at once (here refused: it is unsigned).
    expect((await gw.send('github', { headers: { 'x-github-event': 'ping' } })).status).toBe(401)

    expect(await first.finish()).toBe(200)
    await third
    expect(thirdStatus).toBe(200)
    expect(await second.finish()).toBe(200)
    first.socket.destroy()
    second.socket.destroy()

    for (const d of [a, b, c]) {
      const stored = (await gw.store.list({ limit: 10 })).items.find((e) => e.deliveryId === d.headers['x-github-delivery'])
      expect(stored, d.headers['x-github-delivery']).toBeDefined()
      expect(Buffer.from((await gw.store.get(stored!.id))!.body).equals(d.body)).toBe(true)
    }
    expect(await metric('inhook_body_memory_bytes')).toBe(0)
    expect(await metric('inhook_body_memory_waiting')).toBe(0)
    expect(await metric('inhook_body_memory_waits_total')).toBeGreaterThanOrEqual(1)
  })

  it('lets go of a waiting request whose client hangs up, holding nothing for it', async () => {
    const [a, b, d] = await Promise.all([delivery('gone-a'), delivery('gone-b'), delivery('gone-d')])
    const first = await sendInParts(gw.port, a, 1)
    const second = await sendInParts(gw.port, b, 1)
    const leaving = await sendInParts(gw.port, d, 0)
    await waitFor(async () => (await metric('inhook_body_memory_waiting')) === 1)
    leaving.socket.destroy()
    await waitFor(async () => (await metric('inhook_body_memory_waiting')) === 0)
    expect(await metric('inhook_body_memory_bytes')).toBe(2 * MiB)

    expect(await first.finish()).toBe(200)
    expect(await second.finish()).toBe(200)
    first.socket.destroy()
    second.socket.destroy()
    await waitFor(async () => (await metric('inhook_body_memory_bytes')) === 0)
    expect((await gw.store.list({ limit: 10 })).items.some((e) => e.deliveryId === 'gone-d')).toBe(false)
  })
})

describe('body limits by default', () => {
  let gw: TestGateway
  beforeAll(async () => {
    gw = await startTestGateway({ sources: { github: { provider: 'github', secret: SECRET }, stripe: { provider: 'stripe', secret: 'whsec_body_memory' } } })
  })
  afterAll(() => gw.close())

  it('accepts a 5 MiB GitHub delivery (GitHub sends up to 25 MB) and stores it byte for byte', async () => {
    const big = await githubDelivery(SECRET, Buffer.from(JSON.stringify({ ref: 'refs/heads/main', commits: 'x'.repeat(5 * MiB) })), 'big-push')
    const res = await gw.send('github', { headers: big.headers, body: big.body })
    expect(res.status).toBe(200)
    const stored = (await gw.store.list({ limit: 10 })).items.find((e) => e.deliveryId === 'big-push')!
    expect(Buffer.from((await gw.store.get(stored.id))!.body).equals(big.body)).toBe(true)
  })

  it('keeps 1 MiB for a provider that documents no larger body', async () => {
    const res = await gw.send('stripe', { headers: { 'content-type': 'application/json', 'content-length': String(MiB + 1) }, body: Buffer.alloc(MiB + 1, 'a') })
    expect(res.status).toBe(413)
  })
})
