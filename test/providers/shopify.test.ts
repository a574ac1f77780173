import '@shopify/shopify-api/adapters/web-api'
import { ApiVersion, LogSeverity, shopifyApi } from '@shopify/shopify-api'
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest, type RequestDraft } from '../../providers/kit.ts'
import { shopify } from '../../providers/shopify.ts'

// @shopify/shopify-api can only verify (webhooks.validate), so both directions are proven:
// the SDK accepts what sign() produces, and verify() accepts what the SDK accepts.
const secret = 'shpss_0123456789abcdef0123456789abcdef'
const sdk = shopifyApi({ apiKey: 'api-key', apiSecretKey: secret, hostName: 'localhost', apiVersion: ApiVersion.January25, isEmbeddedApp: false, logger: { level: LogSeverity.Error } })
const opts = shopify.options.parse({ secrets: [secret] })
const now = new Date()

const body = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', total_price: '199.00' })
const headers = {
  'content-type': 'application/json',
  'x-shopify-topic': 'orders/create',
  'x-shopify-shop-domain': 'example.myshopify.com',
  'x-shopify-api-version': '2025-01',
  'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
  'x-shopify-triggered-at': '2023-03-29T18:00:27.877041743Z',
}
const hmacOf = (key: string, data = body) => createHmac('sha256', key).update(data).digest('base64')
const request = (extra: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/shopify', headers: { ...headers, ...extra }, body: payload })

const sdkValidates = async (draft: RequestDraft) =>
  (await sdk.webhooks.validate({ rawBody: draft.body, rawRequest: new Request(draft.url, { method: draft.method, headers: draft.headers, body: draft.body }) })).valid

describe('shopify', () => {
  it('accepts a delivery that @shopify/shopify-api validates', async () => {
    const draft = { method: 'POST', url: 'http://localhost/webhooks/shopify', headers: { ...headers, 'x-shopify-hmac-sha256': hmacOf(secret) }, body }
    expect(await sdkValidates(draft)).toBe(true)
    expect(await shopify.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that @shopify/shopify-api validates', async () => {
    const draft = await shopify.sign!(shopify.sample!('orders/create'), opts, now)
    expect(await sdkValidates(draft)).toBe(true)
  })

  it('accepts the unprefixed Shopify-Hmac-Sha256 header of Events deliveries', async () => {
    expect(await shopify.verify(request({ 'shopify-hmac-sha256': hmacOf(secret) }), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await shopify.verify(request({ 'x-shopify-hmac-sha256': hmacOf(secret) }, body.replace('199', '1')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await shopify.verify(request({ 'x-shopify-hmac-sha256': hmacOf('another secret') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = shopify.options.parse({ secrets: ['old secret', secret] })
    expect(await shopify.verify(request({ 'x-shopify-hmac-sha256': hmacOf(secret) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await shopify.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'sha256=' + hmacOf(secret), hmacOf(secret).slice(0, -4), '!!!!', createHmac('sha256', secret).update(body).digest('hex'), 'A'.repeat(10000)])(
    'rejects the malformed header %j without throwing',
    async (value) => {
      const verdict = await shopify.verify(request(value === '' ? {} : { 'x-shopify-hmac-sha256': value }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('describes the event id, topic and trigger time from the headers', () => {
    expect(shopify.describe(request({}))).toEqual({ deliveryId: '98880550-7158-44d4-b7cd-2c97c8a091b5', type: 'orders/create', occurredAt: new Date('2023-03-29T18:00:27.877Z') })
  })

  it('falls back to the webhook id when no event id is sent', () => {
    const req = createRawRequest({ url: 'http://localhost/webhooks/shopify', headers: { 'x-shopify-webhook-id': 'w-1', 'x-shopify-topic': 'app/uninstalled' }, body: '{}' })
    expect(shopify.describe(req)).toEqual({ deliveryId: 'w-1', type: 'app/uninstalled', occurredAt: undefined })
  })
})
