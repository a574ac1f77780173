import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { woocommerce } from '../../providers/woocommerce.ts'

// WooCommerce ships no verifier package. Signatures here are computed independently with node:crypto, as
// WC_Webhook::generate_signature() does: base64_encode(hash_hmac('sha256', $payload, $secret, true)).
const secret = 'ck_2d6ef6b2a1b54a5c9e9c5f1e0a8d7c6b'
const body = '{"id":727,"status":"processing","date_created_gmt":"2024-05-01T10:00:00","date_modified_gmt":"2024-05-01T10:00:05","_links":{"self":[{"href":"https:\\/\\/example.com\\/wp-json\\/wc\\/v3\\/orders\\/727"}]}}'
const opts = woocommerce.options.parse({ secrets: [secret] })
const now = new Date()
const wcSign = (key: string, payload: string) => createHmac('sha256', key).update(payload).digest('base64')

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({
    url: 'http://localhost/webhooks/woocommerce',
    headers: { 'content-type': 'application/json', 'x-wc-webhook-topic': 'order.updated', 'x-wc-webhook-delivery-id': '9f3c1e2a7b5d4c6e8f0a1b2c3d4e5f60', ...headers },
    body: payload,
  })

const ping = () =>
  createRawRequest({ url: 'http://localhost/webhooks/woocommerce', headers: { 'user-agent': 'WooCommerce/8.5.2 Hookshot (WordPress/6.4.3)', 'content-type': 'application/x-www-form-urlencoded' }, body: 'webhook_id=12' })

describe('woocommerce', () => {
  it('accepts a delivery signed like WC_Webhook::generate_signature', async () => {
    expect(await woocommerce.verify(request({ 'x-wc-webhook-signature': wcSign(secret, body) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that an independent HMAC computation matches', async () => {
    const draft = await woocommerce.sign!(woocommerce.sample!('order.created'), opts, now)
    expect(draft.headers['x-wc-webhook-signature']).toBe(wcSign(secret, draft.body))
    expect(await woocommerce.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await woocommerce.verify(request({ 'x-wc-webhook-signature': wcSign(secret, body) }, body.replace('\\/', '/')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await woocommerce.verify(request({ 'x-wc-webhook-signature': wcSign('another secret', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = woocommerce.options.parse({ secrets: ['old secret', secret] })
    expect(await woocommerce.verify(request({ 'x-wc-webhook-signature': wcSign(secret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await woocommerce.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'sha256=' + wcSign(secret, body), '!!!!', 'c2hvcnQ=', createHmac('sha256', secret).update(body).digest('hex'), 'A'.repeat(10_000)])('rejects the malformed header %j', async (header) => {
    const verdict = await woocommerce.verify(request({ 'x-wc-webhook-signature': header }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('answers the unsigned creation ping with 200', async () => {
    expect(await woocommerce.challenge!(ping(), opts, now)).toMatchObject({ status: 200 })
  })

  it('does not accept the creation ping as a delivery', async () => {
    expect(await woocommerce.verify(ping(), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('does not treat a signed delivery as the ping', async () => {
    expect(await woocommerce.challenge!(request({ 'x-wc-webhook-signature': wcSign(secret, body) }), opts, now)).toBeUndefined()
  })

  it('does not treat another unsigned body as the ping', async () => {
    const req = createRawRequest({ url: 'http://localhost/webhooks/woocommerce', body: 'webhook_id=12&x=1' })
    expect(await woocommerce.challenge!(req, opts, now)).toBeUndefined()
  })

  it('describes the delivery id, topic and modification time (GMT)', () => {
    expect(woocommerce.describe(request({}))).toEqual({ deliveryId: '9f3c1e2a7b5d4c6e8f0a1b2c3d4e5f60', type: 'order.updated', occurredAt: new Date('2024-05-01T10:00:05Z') })
  })
})
