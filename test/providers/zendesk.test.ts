import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { zendesk } from '../../providers/zendesk.ts'

// Zendesk ships no verifier package. https://developer.zendesk.com/documentation/webhooks/verifying/ publishes a
// Node.js verifier and the fixed secret its "Test webhook" feature signs with; `isValidSignature` below is that
// documented function, used as the independent implementation in both directions.
const SIGNING_SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=='
const SIGNING_SECRET_ALGORITHM = 'sha256'
function isValidSignature(signature: string, body: string, timestamp: string) {
  const hmac = createHmac(SIGNING_SECRET_ALGORITHM, SIGNING_SECRET)
  const sig = hmac.update(timestamp + body).digest('base64')
  return Buffer.compare(Buffer.from(signature), Buffer.from(sig.toString())) === 0
}
const documentedSign = (secret: string, timestamp: string, body: string) => createHmac('sha256', secret).update(timestamp + body).digest('base64')

const body = JSON.stringify({ type: 'zen:event-type:ticket.created', id: 'cbe4028c-7239-495d-b020-f22348516046', time: '2024-05-01T10:00:00Z', detail: { id: '35436' } })
const timestamp = '2024-05-01T10:00:05Z'
const now = new Date('2024-05-01T10:01:00Z')
const opts = zendesk.options.parse({ secrets: [SIGNING_SECRET] })

const request = (headers: Record<string, string>, payload = body, method = 'POST') =>
  createRawRequest({ method, url: 'http://localhost/webhooks/zendesk', headers: { 'content-type': 'application/json', 'x-zendesk-webhook-invocation-id': '8350205582', ...headers }, body: payload })

const signed = (secret = SIGNING_SECRET, ts = timestamp, payload = body) => ({
  'x-zendesk-webhook-signature': documentedSign(secret, ts, payload),
  'x-zendesk-webhook-signature-timestamp': ts,
})

describe('zendesk', () => {
  it('accepts a delivery signed as the documentation computes it', async () => {
    expect(await zendesk.verify(request(signed()), opts, now)).toEqual({ ok: true })
  })

  it("produces signatures that the documentation's isValidSignature accepts", async () => {
    const draft = await zendesk.sign!(zendesk.sample!(), opts, now)
    expect(isValidSignature(draft.headers['x-zendesk-webhook-signature']!, draft.body, draft.headers['x-zendesk-webhook-signature-timestamp']!)).toBe(true)
    expect(await zendesk.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('signs a GET request over the timestamp and an empty body', async () => {
    const req = request(signed(SIGNING_SECRET, timestamp, ''), '', 'GET')
    expect(await zendesk.verify(req, opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await zendesk.verify(request(signed(), body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a changed timestamp', async () => {
    const headers = { ...signed(), 'x-zendesk-webhook-signature-timestamp': '2024-05-01T10:00:06Z' }
    expect(await zendesk.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await zendesk.verify(request(signed('another secret')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = zendesk.options.parse({ secrets: ['old secret', SIGNING_SECRET] })
    expect(await zendesk.verify(request(signed()), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a timestamp outside the tolerance', async () => {
    const later = new Date('2024-05-01T11:00:00Z')
    expect(await zendesk.verify(request(signed()), opts, later)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('accepts an old timestamp when the tolerance is 0', async () => {
    const unlimited = zendesk.options.parse({ secrets: [SIGNING_SECRET], toleranceSeconds: 0 })
    expect(await zendesk.verify(request(signed()), unlimited, new Date('2030-01-01T00:00:00Z'))).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    const { 'x-zendesk-webhook-signature': _, ...headers } = signed()
    expect(await zendesk.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a missing timestamp header', async () => {
    const { 'x-zendesk-webhook-signature-timestamp': _, ...headers } = signed()
    expect(await zendesk.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it.each([
    ['signature', '!!!not base64!!!'],
    ['signature', 'c2hvcnQ='],
    ['signature', 'a'.repeat(10_000)],
    ['timestamp', '1714557605'],
    ['timestamp', '2024-13-45T99:99:99Z'],
    ['timestamp', '99999-01-01T00:00:00Z'],
    ['timestamp', 'yesterday'],
    ['timestamp', '2024-05-01T10:00:05'],
  ])('rejects a malformed %s %j', async (which, value) => {
    const headers = { ...signed(), [`x-zendesk-webhook-signature${which === 'timestamp' ? '-timestamp' : ''}`]: value }
    const verdict = await zendesk.verify(request(headers), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the invocation id, event type and event time', () => {
    expect(zendesk.describe(request({}))).toEqual({ deliveryId: '8350205582', type: 'zen:event-type:ticket.created', occurredAt: new Date('2024-05-01T10:00:00Z') })
  })

  it('falls back to the event id when there is no invocation id header', () => {
    const req = createRawRequest({ url: 'http://localhost/webhooks/zendesk', body })
    expect(zendesk.describe(req).deliveryId).toBe('cbe4028c-7239-495d-b020-f22348516046')
  })
})
