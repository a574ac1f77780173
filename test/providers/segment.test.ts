import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { segment } from '../../providers/segment.ts'

// Segment's signer is not published as a package. `extendRequest` below is the signing code of the Webhooks
// (Actions) destination, segmentio/action-destinations packages/destination-actions/src/destinations/webhook/index.ts:
//   createHmac('sha1', settings.sharedSecret).update(JSON.stringify(payload.data), 'utf8').digest('hex')
// and the request body it signs is JSON.stringify(payload.data).
const sharedSecret = 'segment shared secret'
const extendRequest = (secret: string, data: unknown) => ({
  headers: { 'X-Signature': createHmac('sha1', secret).update(JSON.stringify(data), 'utf8').digest('hex') },
  body: JSON.stringify(data),
})
const event = { type: 'track', event: 'Order Completed', messageId: 'ajs-f8ca1e4de5024d9430b3928bd8ac6b96', timestamp: '2024-05-01T10:00:00.000Z', properties: { revenue: 39.95 } }
const opts = segment.options.parse({ secrets: [sharedSecret] })
const now = new Date()

const request = (headers: Record<string, string>, payload: string) =>
  createRawRequest({ url: 'http://localhost/webhooks/segment', headers: { 'content-type': 'application/json', ...headers }, body: payload })
const signed = (secret = sharedSecret, data: unknown = event) => {
  const { headers, body } = extendRequest(secret, data)
  return request(headers, body)
}

describe('segment', () => {
  it('accepts a request signed by the Webhooks (Actions) destination code', async () => {
    expect(await segment.verify(signed(), opts, now)).toEqual({ ok: true })
  })

  it('produces the signature the destination code computes for the same body', async () => {
    const draft = await segment.sign!(segment.sample!('track'), opts, now)
    expect(draft.headers['x-signature']).toBe(extendRequest(sharedSecret, JSON.parse(draft.body)).headers['X-Signature'])
    expect(await segment.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    const { headers, body } = extendRequest(sharedSecret, event)
    expect(await segment.verify(request(headers, body.replace('39.95', '3995')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a request signed with another secret', async () => {
    expect(await segment.verify(signed('another secret'), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = segment.options.parse({ secrets: ['old secret', sharedSecret] })
    expect(await segment.verify(signed(), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing X-Signature header', async () => {
    expect(await segment.verify(request({}, JSON.stringify(event)), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a batch, whose signature covers only its first event', async () => {
    // Segment signs a batch over its first event only (Twilio support: "How Segment computes x-signature for
    // batched webhooks"), so a batch's signature never matches its body.
    const batch = [event, { ...event, messageId: 'ajs-2', event: 'Injected' }]
    const { headers } = extendRequest(sharedSecret, event)
    const verdict = await segment.verify(request(headers, JSON.stringify(batch)), opts, now)
    expect(verdict).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(verdict.ok ? '' : verdict.hint).toMatch(/batch/)
  })

  it.each(['', 'sha1=' + 'a'.repeat(40), 'zz', 'a'.repeat(39), 'a'.repeat(64), 'g'.repeat(40), '=='])('rejects the malformed header %j', async (header) => {
    const verdict = await segment.verify(request({ 'x-signature': header }, JSON.stringify(event)), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes a track call by message id, type with event name, and timestamp', () => {
    expect(segment.describe(request({}, JSON.stringify(event)))).toEqual({
      deliveryId: 'ajs-f8ca1e4de5024d9430b3928bd8ac6b96',
      type: 'track:Order Completed',
      occurredAt: new Date('2024-05-01T10:00:00.000Z'),
    })
  })

  it('describes other calls by their type alone', () => {
    const identify = { type: 'identify', messageId: 'm-1', timestamp: '2024-05-01T10:00:00Z', traits: { name: 'Peter' } }
    expect(segment.describe(request({}, JSON.stringify(identify)))).toMatchObject({ deliveryId: 'm-1', type: 'identify' })
  })
})
