import { createHmac } from 'node:crypto'
import { validateWebhookSignature } from 'razorpay/dist/utils/razorpay-utils.js'
import { describe, expect, it } from 'vitest'
import { createRawRequest } from '../../providers/kit.ts'
import { razorpay } from '../../providers/razorpay.ts'

const secret = 'razorpay-webhook-secret'
const body = JSON.stringify({
  entity: 'event',
  account_id: 'acc_BFQ7uQEaa7j2z7',
  event: 'payment.captured',
  contains: ['payment'],
  payload: { payment: { entity: { id: 'pay_DESlfW9H8K9uqM', entity: 'payment', amount: 100, currency: 'INR', status: 'captured', captured: true, created_at: 1567674599 } } },
  created_at: 1567674606,
})
const opts = razorpay.options.parse({ secrets: [secret] })
const now = new Date()

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/razorpay', headers: { 'x-razorpay-event-id': 'KXgBJJeZFOZeia', ...headers }, body: payload })

// The razorpay SDK can only verify; a signature it accepts is computed independently here (HMAC-SHA256 hex
// of the raw body, https://razorpay.com/docs/webhooks/validate-test/) and checked with the SDK first.
const independentSignature = (key: string, payload: string) => createHmac('sha256', key).update(payload).digest('hex')

describe('razorpay', () => {
  it('accepts a delivery whose signature razorpay\'s validateWebhookSignature accepts', async () => {
    const signature = independentSignature(secret, body)
    expect(validateWebhookSignature(body, signature, secret)).toBe(true)
    expect(await razorpay.verify(request({ 'x-razorpay-signature': signature }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that razorpay\'s validateWebhookSignature accepts', async () => {
    const draft = await razorpay.sign!(razorpay.sample!(), opts, now)
    expect(validateWebhookSignature(draft.body, draft.headers['x-razorpay-signature']!, secret)).toBe(true)
  })

  it('rejects a tampered body', async () => {
    expect(await razorpay.verify(request({ 'x-razorpay-signature': independentSignature(secret, body) }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await razorpay.verify(request({ 'x-razorpay-signature': independentSignature('another secret', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = razorpay.options.parse({ secrets: ['old secret', secret] })
    expect(await razorpay.verify(request({ 'x-razorpay-signature': independentSignature(secret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await razorpay.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'zz', 'sha256=' + 'a'.repeat(64), 'a'.repeat(63), 'g'.repeat(64), 'a'.repeat(128), Buffer.alloc(32).toString('base64')])(
    'rejects the malformed signature %j without throwing',
    async (signature) => {
      const verdict = await razorpay.verify(request({ 'x-razorpay-signature': signature }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('describes the event id header, the event type and its creation time', () => {
    expect(razorpay.describe(request({}))).toEqual({ deliveryId: 'KXgBJJeZFOZeia', type: 'payment.captured', occurredAt: new Date(1567674606 * 1000) })
  })

  it('describes a garbage body without throwing', () => {
    expect(razorpay.describe(request({}, 'not json'))).toEqual({ deliveryId: 'KXgBJJeZFOZeia', type: undefined, occurredAt: undefined })
  })
})
