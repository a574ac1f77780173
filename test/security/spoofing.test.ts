// X-Forwarded-For is ignored unless trustProxy is set: a client cannot talk its way into an
// allowlist, nor out of its per-address rate limit, by writing the header itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts'
import { githubDelivery } from '../helpers/wire.ts'

const SECRET = 'spoofing-secret'

describe('X-Forwarded-For without trustProxy', () => {
  let gw: TestGateway
  beforeAll(async () => {
    gw = await startTestGateway({
      sources: {
        allowlisted: { provider: 'github', secret: SECRET, allowIps: ['203.0.113.0/24'] },
        perip: { provider: 'github', secret: SECRET, rateLimit: { perSecond: 10_000, perIp: { perSecond: 0.1, burst: 3 } } },
      },
    })
  })
  afterAll(() => gw.close())

  it('does not let a forged X-Forwarded-For (or X-Real-IP, Forwarded) into an allowlist', async () => {
    const forged = { 'x-forwarded-for': '203.0.113.5', 'x-real-ip': '203.0.113.5', forwarded: 'for=203.0.113.5' }
    const res = await gw.send('allowlisted', await githubDelivery(SECRET, '{}', 'forged-1', forged))
    expect(res.status).toBe(403)
    expect(await gw.store.countWhere({ source: 'allowlisted' })).toBe(0)
    const [rejection] = await gw.store.rejections({ source: 'allowlisted' })
    expect(rejection).toMatchObject({ status: 403, clientIp: '127.0.0.1', reason: 'ip-not-allowed' })
  })

  it('does not give a fresh per-address bucket to each forged X-Forwarded-For', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) statuses.push((await gw.send('perip', await githubDelivery(SECRET, `{"i":${i}}`, `rotating-${i}`, { 'x-forwarded-for': `198.51.100.${i}` }))).status)
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200])
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(6)
  })
})
