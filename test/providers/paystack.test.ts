import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest } from '../../providers/kit.ts'
import { PAYSTACK_WEBHOOK_IPS, paystack } from '../../providers/paystack.ts'

// Paystack publishes no Node SDK that verifies webhooks; the signature is computed independently as the
// webhooks docs show (https://paystack.com/docs/payments/webhooks/): the hex
// HMAC-SHA512 of the body keyed with the secret key.
const paystackSign = (key: string, payload: string) => createHmac('sha512', key).update(payload).digest('hex')

const secret = 'sk_test_3d1e5f0b8c2a4e6f9a7b1c3d5e7f9a1b3c5d7e9f'
const body = JSON.stringify({
  event: 'charge.success',
  data: {
    id: 302961,
    domain: 'live',
    status: 'success',
    reference: 'qTPrJoy9Bx',
    amount: 10000,
    gateway_response: 'Approved by Financial Institution',
    paid_at: '2016-09-30T21:10:19.000Z',
    created_at: '2016-09-30T21:09:56.000Z',
    channel: 'card',
    currency: 'NGN',
    customer: { id: 68324, email: 'bojack@horseman.com', customer_code: 'CUS_qo38as2hpsgk2r0' },
  },
})
const opts = paystack.options.parse({ secrets: [secret] })
const now = new Date()

const request = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/paystack', headers, body: payload })

describe('paystack', () => {
  it('accepts a delivery signed as Paystack documents', async () => {
    expect(await paystack.verify(request({ 'x-paystack-signature': paystackSign(secret, body) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the independent computation', async () => {
    const draft = await paystack.sign!(paystack.sample!(), opts, now)
    expect(draft.headers['x-paystack-signature']).toBe(paystackSign(secret, draft.body))
  })

  it('rejects a tampered body', async () => {
    expect(await paystack.verify(request({ 'x-paystack-signature': paystackSign(secret, body) }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret key', async () => {
    expect(await paystack.verify(request({ 'x-paystack-signature': paystackSign('sk_live_other', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a SHA-256 signature of the right key', async () => {
    const sha256 = createHmac('sha256', secret).update(body).digest('hex')
    expect(await paystack.verify(request({ 'x-paystack-signature': sha256 }), opts, now)).toMatchObject({ ok: false, reason: 'malformed-signature' })
  })

  it('accepts the second of two rotated secret keys', async () => {
    const rotated = paystack.options.parse({ secrets: ['sk_test_old', secret] })
    expect(await paystack.verify(request({ 'x-paystack-signature': paystackSign(secret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header, pointing at allowIps', async () => {
    const verdict = await paystack.verify(request({}), opts, now)
    expect(verdict).toMatchObject({ ok: false, reason: 'missing-signature' })
    expect(!verdict.ok && verdict.hint).toContain('allowIps')
  })

  it.each(['', 'zz', 'sha512=' + 'a'.repeat(128), 'a'.repeat(127), 'g'.repeat(128), 'a'.repeat(256), Buffer.alloc(64).toString('base64')])(
    'rejects the malformed signature %j without throwing',
    async (signature) => {
      const verdict = await paystack.verify(request({ 'x-paystack-signature': signature }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('publishes Paystack\'s three sending addresses', () => {
    expect(PAYSTACK_WEBHOOK_IPS).toEqual(['52.31.139.75', '52.49.173.169', '52.214.14.220'])
  })

  it('describes the event and object id, the type and the payment time', () => {
    expect(paystack.describe(request({}))).toEqual({ deliveryId: 'charge.success:302961', type: 'charge.success', occurredAt: new Date('2016-09-30T21:10:19.000Z') })
  })

  it('keeps successive updates of one object distinct', () => {
    const update = (updatedAt: string) => JSON.stringify({ event: 'invoice.update', data: { id: 42, updated_at: updatedAt, created_at: '2024-01-01T00:00:00.000Z' } })
    const first = paystack.describe(request({}, update('2024-01-02T00:00:00.000Z'))).deliveryId
    const second = paystack.describe(request({}, update('2024-01-03T00:00:00.000Z'))).deliveryId
    expect(first).not.toBe(second)
  })

  it('describes a garbage body without throwing', () => {
    expect(paystack.describe(request({}, '{{{'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
