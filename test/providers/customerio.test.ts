import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { customerio } from '../../providers/customerio.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// Customer.io ships no verifier package. Signatures here are computed independently with node:crypto from the
// documented steps (https://docs.customer.io/api/webhooks/#section/Securely-Verifying-Requests): join "v0", the
// X-CIO-Timestamp and the body with colons, HMAC-SHA256 with the signing key, compare the hex with X-CIO-Signature.
const signingKey = 'customer.io webhook signing key'
const body = JSON.stringify({ data: { customer_id: '0', delivery_id: 'RMehBAAAAXE7r_ONUGXly9DBGkpq1JS31w==', recipient: 'test@example.com' }, event_id: '01E2EMRMM6TZ12TF9WGZN0WJQT', metric: 'opened', object_type: 'email', timestamp: 1714557600 })
const now = new Date('2024-05-01T10:00:30Z')
const opts = customerio.options.parse({ secrets: [signingKey] })

const signedHeaders = (seconds = Math.floor(now.getTime() / 1000), key = signingKey, payload = body) => ({
  'x-cio-timestamp': String(seconds),
  'x-cio-signature': createHmac('sha256', key).update(['v0', seconds, payload].join(':')).digest('hex'),
})
const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/customerio', headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('customerio', () => {
  it('accepts a delivery signed as documented', async () => {
    expect(await customerio.verify(request(signedHeaders()), opts, now)).toEqual({ ok: true })
  })

  it('produces the signature the documented steps compute', async () => {
    const draft = await customerio.sign!(customerio.sample!('email.delivered'), opts, now)
    const timestamp = draft.headers['x-cio-timestamp']!
    expect(draft.headers['x-cio-signature']).toBe(createHmac('sha256', signingKey).update(`v0:${timestamp}:${draft.body}`).digest('hex'))
    expect(await customerio.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await customerio.verify(request(signedHeaders(), body.replace('opened', 'clicked')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a changed timestamp', async () => {
    const headers = { ...signedHeaders(), 'x-cio-timestamp': String(Math.floor(now.getTime() / 1000) - 1) }
    expect(await customerio.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another key', async () => {
    expect(await customerio.verify(request(signedHeaders(undefined, 'another key')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated keys', async () => {
    const rotated = customerio.options.parse({ secrets: ['old key', signingKey] })
    expect(await customerio.verify(request(signedHeaders()), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a timestamp outside the tolerance', async () => {
    expect(await customerio.verify(request(signedHeaders()), opts, new Date(now.getTime() + 3_600_000))).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a missing signature header', async () => {
    const { 'x-cio-signature': _, ...headers } = signedHeaders()
    expect(await customerio.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a missing timestamp header', async () => {
    const { 'x-cio-timestamp': _, ...headers } = signedHeaders()
    expect(await customerio.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it.each([
    ['x-cio-signature', 'v0=' + 'a'.repeat(64)],
    ['x-cio-signature', 'zz'],
    ['x-cio-signature', 'a'.repeat(63)],
    ['x-cio-signature', Buffer.alloc(32).toString('base64')],
    ['x-cio-timestamp', 'soon'],
    ['x-cio-timestamp', '1714557630.5'],
    ['x-cio-timestamp', '99999999999999999999999'],
    ['x-cio-timestamp', '2024-05-01T10:00:30Z'],
  ])('rejects the malformed %s %j', async (name, value) => {
    const verdict = await customerio.verify(request({ ...signedHeaders(), [name]: value }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the event id, object type and metric, and event time', () => {
    expect(customerio.describe(request({}))).toEqual({ deliveryId: '01E2EMRMM6TZ12TF9WGZN0WJQT', type: 'email.opened', occurredAt: new Date('2024-05-01T10:00:00Z') })
  })
})
