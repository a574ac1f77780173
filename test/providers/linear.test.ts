import { LinearWebhookClient } from '@linear/sdk/webhooks'
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { linear } from '../../providers/linear.ts'

// @linear/sdk can only verify (LinearWebhookClient.verify, on the wall clock with a 60 s window), so
// both directions are proven: the SDK accepts what sign() produces, and verify() accepts a request,
// signed independently with node:crypto, that the SDK accepts.
const secret = 'lin_wh_0123456789abcdefghijklmnopqrstuvwxyz'
const client = new LinearWebhookClient(secret)
const opts = linear.options.parse({ secrets: [secret] })
const now = new Date()

const bodyAt = (at: Date) =>
  JSON.stringify({ action: 'create', type: 'Issue', createdAt: '2024-05-14T10:00:00.000Z', data: { id: 'i-1', title: 'Foo bar' }, url: 'https://linear.app/issue/LIN-1', webhookTimestamp: at.getTime(), webhookId: 'w-1' })
const body = bodyAt(now)
const signatureOf = (key: string, data = body) => createHmac('sha256', key).update(data).digest('hex')
const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/linear', headers: { 'content-type': 'application/json', 'linear-delivery': 'd-1', 'linear-event': 'Issue', ...headers }, body: payload })
const sdkAccepts = (payload: string, signature: string) => {
  try {
    return client.verify(Buffer.from(payload), signature)
  } catch {
    return false
  }
}

describe('linear', () => {
  it('accepts a delivery that @linear/sdk verifies', async () => {
    expect(sdkAccepts(body, signatureOf(secret))).toBe(true)
    expect(await linear.verify(request({ 'linear-signature': signatureOf(secret) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that @linear/sdk verifies', async () => {
    const draft = await linear.sign!(linear.sample!('Comment'), opts, now)
    expect(sdkAccepts(draft.body, draft.headers['linear-signature']!)).toBe(true)
    expect(await linear.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await linear.verify(request({ 'linear-signature': signatureOf(secret) }, body.replace('Foo', 'Baz')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await linear.verify(request({ 'linear-signature': signatureOf('another secret') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = linear.options.parse({ secrets: ['old secret', secret] })
    expect(await linear.verify(request({ 'linear-signature': signatureOf(secret) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a signed webhookTimestamp more than 60 s away', async () => {
    const old = bodyAt(new Date(now.getTime() - 61_000))
    expect(await linear.verify(request({ 'linear-signature': signatureOf(secret, old) }, old), opts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a signed body without webhookTimestamp', async () => {
    const bare = JSON.stringify({ action: 'create', type: 'Issue' })
    expect(await linear.verify(request({ 'linear-signature': signatureOf(secret, bare) }, bare), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it('rejects a signed body whose webhookTimestamp is not a number', async () => {
    const odd = JSON.stringify({ webhookTimestamp: String(now.getTime()) })
    expect(await linear.verify(request({ 'linear-signature': signatureOf(secret, odd) }, odd), opts, now)).toMatchObject({ ok: false, reason: 'malformed-timestamp' })
  })

  it('rejects a missing signature header', async () => {
    expect(await linear.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'sha256=' + signatureOf(secret), 'zz', 'a'.repeat(63), 'g'.repeat(64), Buffer.from(signatureOf(secret), 'hex').toString('base64'), 'a'.repeat(100000)])(
    'rejects the malformed header %j without throwing',
    async (header) => {
      expect((await linear.verify(request(header === '' ? {} : { 'linear-signature': header }), opts, now)).ok).toBe(false)
    },
  )

  it('rejects a signed body that is not JSON without throwing', async () => {
    expect(await linear.verify(request({ 'linear-signature': signatureOf(secret, 'not json') }, 'not json'), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it('describes the delivery id, entity and action, and creation time', () => {
    expect(linear.describe(request({}))).toEqual({ deliveryId: 'd-1', type: 'Issue.create', occurredAt: new Date('2024-05-14T10:00:00.000Z') })
  })

  it('describes a non-JSON body from the headers without throwing', () => {
    expect(linear.describe(request({}, '<xml/>'))).toEqual({ deliveryId: 'd-1', type: 'Issue', occurredAt: undefined })
  })
})
