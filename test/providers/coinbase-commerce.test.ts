import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { coinbaseCommerce } from '../../providers/coinbase-commerce.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// coinbase-commerce-node ships no type declarations.
const { Webhook } = createRequire(import.meta.url)('coinbase-commerce-node') as {
  Webhook: { computeSignature(payload: string, secret: string): string; verifySigHeader(payload: string, sigHeader: string, secret: string): true }
}

const sharedSecret = '30291a20-f1d5-4ab6-a2a5-1f2f6d8ac4e5'
const opts = coinbaseCommerce.options.parse({ secrets: [sharedSecret] })
const now = new Date()
const body = JSON.stringify({
  id: 1,
  scheduled_for: '2017-01-31T20:50:02Z',
  attempt_number: 1,
  event: {
    id: '24934862-d980-46cb-9402-43c81b0cdba6',
    resource: 'event',
    type: 'charge:created',
    api_version: '2018-03-22',
    created_at: '2017-01-31T20:49:02Z',
    data: { code: '66BEOV2A', name: 'The Sovereign Individual', pricing_type: 'no_price' },
  },
})

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'https://example.com/webhooks/coinbase-commerce', headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('coinbase-commerce', () => {
  it('accepts a delivery signed by coinbase-commerce-node', async () => {
    const signature = Webhook.computeSignature(body, sharedSecret)
    expect(Webhook.verifySigHeader(body, signature, sharedSecret)).toBe(true)
    expect(await coinbaseCommerce.verify(request({ 'x-cc-webhook-signature': signature }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that coinbase-commerce-node verifies', async () => {
    const draft = await coinbaseCommerce.sign!(coinbaseCommerce.sample!(), opts, now)
    expect(Webhook.verifySigHeader(draft.body, draft.headers['x-cc-webhook-signature']!, sharedSecret)).toBe(true)
    expect(await coinbaseCommerce.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    const signature = Webhook.computeSignature(body, sharedSecret)
    expect(await coinbaseCommerce.verify(request({ 'x-cc-webhook-signature': signature }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another shared secret', async () => {
    const signature = Webhook.computeSignature(body, 'another secret')
    expect(() => Webhook.verifySigHeader(body, signature, sharedSecret)).toThrow()
    expect(await coinbaseCommerce.verify(request({ 'x-cc-webhook-signature': signature }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated shared secrets', async () => {
    const rotated = coinbaseCommerce.options.parse({ secrets: ['old secret', sharedSecret] })
    expect(await coinbaseCommerce.verify(request({ 'x-cc-webhook-signature': Webhook.computeSignature(body, sharedSecret) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await coinbaseCommerce.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'sha256=' + 'a'.repeat(64), 'a'.repeat(63), 'a'.repeat(66), 'g'.repeat(64), Buffer.alloc(32).toString('base64'), 'a'.repeat(1_000_000)])(
    'rejects malformed header #%# without throwing',
    async (header) => {
      const verdict = await coinbaseCommerce.verify(request(header === '' ? {} : { 'x-cc-webhook-signature': header }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('describes the event id, type and creation time', () => {
    expect(coinbaseCommerce.describe(request({}))).toEqual({
      deliveryId: '24934862-d980-46cb-9402-43c81b0cdba6',
      type: 'charge:created',
      occurredAt: new Date('2017-01-31T20:49:02Z'),
    })
  })

  it('describes a body without an event object as nothing, without throwing', () => {
    expect(coinbaseCommerce.describe(request({}, '{"event":"nope"}'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
