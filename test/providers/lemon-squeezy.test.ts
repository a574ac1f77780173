import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { lemonSqueezy } from '../../providers/lemon-squeezy.ts'

// @lemonsqueezy/lemonsqueezy.js has no webhook verifier, so signatures are computed independently from the
// documented recipe (https://docs.lemonsqueezy.com/help/webhooks/signing-requests):
// X-Signature = hex(HMAC-SHA256(signing secret, raw body)).
const documentedSignature = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex')

const secret = 'lemon-signing-secret'
const opts = lemonSqueezy.options.parse({ secrets: [secret] })
const now = new Date()
const body = JSON.stringify({
  meta: { test_mode: true, event_name: 'subscription_updated', custom_data: { customer_id: 25 } },
  data: { type: 'subscriptions', id: '1', attributes: { status: 'active', created_at: '2021-08-11T13:47:27.000000Z', updated_at: '2021-08-11T13:54:19.000000Z' } },
})

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({
    url: 'https://example.com/webhooks/lemon-squeezy',
    headers: { 'content-type': 'application/json', 'x-event-name': 'subscription_updated', ...headers },
    body: payload,
  })

describe('lemon-squeezy', () => {
  it('accepts a delivery signed with the documented recipe', async () => {
    expect(await lemonSqueezy.verify(request({ 'x-signature': documentedSignature(secret, body) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the documented recipe', async () => {
    const draft = await lemonSqueezy.sign!(lemonSqueezy.sample!(), opts, now)
    expect(draft.headers['x-signature']).toBe(documentedSignature(secret, draft.body))
    expect(await lemonSqueezy.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await lemonSqueezy.verify(request({ 'x-signature': documentedSignature(secret, body) }, body.replace('active', 'expired')), opts, now)).toMatchObject({
      ok: false,
      reason: 'mismatch',
    })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await lemonSqueezy.verify(request({ 'x-signature': documentedSignature('another', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = lemonSqueezy.options.parse({ secrets: ['old secret', secret] })
    expect(await lemonSqueezy.verify(request({ 'x-signature': documentedSignature(secret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await lemonSqueezy.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty', ''],
    ['short digest', 'a'.repeat(32)],
    ['non-hex', '-'.repeat(64)],
    ['prefixed', 'sha256=' + 'a'.repeat(64)],
    ['base64', Buffer.alloc(32).toString('base64')],
    ['whitespace inside', 'a'.repeat(32) + ' ' + 'a'.repeat(32)],
  ])('rejects a malformed signature header (%s) without throwing', async (_, header) => {
    const verdict = await lemonSqueezy.verify(request(header === '' ? {} : { 'x-signature': header }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the event name, the resource time and a delivery id built from event and resource', () => {
    expect(lemonSqueezy.describe(request({}))).toEqual({
      deliveryId: 'subscription_updated:subscriptions/1:2021-08-11T13:54:19.000000Z',
      type: 'subscription_updated',
      occurredAt: new Date('2021-08-11T13:54:19Z'),
    })
  })

  it('includes meta.webhook_id in the delivery id when sent', () => {
    const withId = JSON.stringify({ ...JSON.parse(body), meta: { event_name: 'subscription_updated', webhook_id: '5b8b5b4c-7a6a-4d8e-9a7b-0f0e7f6a5b4c' } })
    expect(lemonSqueezy.describe(request({}, withId)).deliveryId).toBe('5b8b5b4c-7a6a-4d8e-9a7b-0f0e7f6a5b4c:subscription_updated:subscriptions/1:2021-08-11T13:54:19.000000Z')
  })

  it('falls back to the X-Event-Name header for the type, without throwing on garbage', () => {
    expect(lemonSqueezy.describe(request({}, 'not json'))).toEqual({ deliveryId: undefined, type: 'subscription_updated', occurredAt: undefined })
  })
})
