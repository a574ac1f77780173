import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { postmark } from '../../providers/postmark.ts'

// Postmark signs nothing: https://postmarkapp.com/developer/webhooks/webhooks-overview secures webhooks with basic
// auth in the URL (https://user:password@…) and custom headers. The Authorization header below is built the way
// any HTTP client builds it from URL credentials (RFC 7617), independently of the module.
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
const body = JSON.stringify({ RecordType: 'Delivery', MessageID: '883953f4-6105-42a2-a16a-77a8eac79483', Recipient: 'john@example.com', DeliveredAt: '2024-05-01T10:00:00.9070259Z' })
const basicOpts = postmark.options.parse({ username: 'postmark', password: 'hunter2-long-password' })
const headerOpts = postmark.options.parse({ header: 'X-Webhook-Token', secrets: ['token-1'] })
const now = new Date()

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/postmark', headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('postmark', () => {
  it('accepts the basic-auth credentials from the webhook URL', async () => {
    expect(await postmark.verify(request({ authorization: basic('postmark', 'hunter2-long-password') }), basicOpts, now)).toEqual({ ok: true })
  })

  it('rejects a wrong password', async () => {
    expect(await postmark.verify(request({ authorization: basic('postmark', 'wrong') }), basicOpts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('rejects a wrong user name', async () => {
    expect(await postmark.verify(request({ authorization: basic('someone', 'hunter2-long-password') }), basicOpts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('rejects a request without credentials', async () => {
    expect(await postmark.verify(request({}), basicOpts, now)).toMatchObject({ ok: false, reason: 'missing-token' })
  })

  it.each(['Bearer hunter2-long-password', 'Basic', 'Basic !!!!', `Basic ${Buffer.from('no colon').toString('base64')}`, 'Basic ' + 'A'.repeat(10_000), basic('postmark', 'hunter2-long-password').toLowerCase()])(
    'rejects the malformed Authorization %j',
    async (authorization) => {
      const verdict = await postmark.verify(request({ authorization }), basicOpts, now)
      expect(verdict).toMatchObject({ ok: false, reason: 'bad-token' })
    },
  )

  it('accepts the custom header token', async () => {
    expect(await postmark.verify(request({ 'x-webhook-token': 'token-1' }), headerOpts, now)).toEqual({ ok: true })
  })

  it('accepts the second of two rotated header tokens', async () => {
    const rotated = postmark.options.parse({ header: 'x-webhook-token', secrets: ['old-token', 'token-1'] })
    expect(await postmark.verify(request({ 'x-webhook-token': 'token-1' }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a wrong header token', async () => {
    expect(await postmark.verify(request({ 'x-webhook-token': 'token-2' }), headerOpts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('rejects a missing header token', async () => {
    expect(await postmark.verify(request({}), headerOpts, now)).toMatchObject({ ok: false, reason: 'missing-token' })
  })

  it('requires both basic auth and the header token when both are configured', async () => {
    const both = postmark.options.parse({ username: 'postmark', password: 'hunter2-long-password', header: 'x-webhook-token', secrets: ['token-1'] })
    expect(await postmark.verify(request({ authorization: basic('postmark', 'hunter2-long-password') }), both, now)).toMatchObject({ ok: false, reason: 'missing-token' })
    expect(await postmark.verify(request({ 'x-webhook-token': 'token-1' }), both, now)).toMatchObject({ ok: false, reason: 'missing-token' })
    expect(await postmark.verify(request({ authorization: basic('postmark', 'hunter2-long-password'), 'x-webhook-token': 'token-1' }), both, now)).toEqual({ ok: true })
  })

  it.each([{}, { username: 'postmark' }, { header: 'x-webhook-token' }, { secrets: ['token-1'] }])('refuses the incomplete options %j', (options) => {
    expect(postmark.options.safeParse(options).success).toBe(false)
  })

  it('signs a draft with the configured credentials so that verify accepts it', async () => {
    const both = postmark.options.parse({ username: 'postmark', password: 'hunter2-long-password', header: 'x-webhook-token', secrets: ['token-1'] })
    const draft = await postmark.sign!(postmark.sample!('Bounce'), both, now)
    expect(draft.headers.authorization).toBe(basic('postmark', 'hunter2-long-password'))
    expect(await postmark.verify(draftToRawRequest(draft), both, now)).toEqual({ ok: true })
  })

  it('redacts the token header', () => {
    expect(postmark.redact!(headerOpts)).toEqual({ headers: ['x-webhook-token'] })
  })

  it('describes a delivery by message id, record type and event time', () => {
    expect(postmark.describe(request({}))).toEqual({
      deliveryId: '883953f4-6105-42a2-a16a-77a8eac79483:Delivery:2024-05-01T10:00:00.9070259Z',
      type: 'Delivery',
      occurredAt: new Date('2024-05-01T10:00:00.907Z'),
    })
  })

  it('gives each record of one message its own delivery id', () => {
    const messageId = '883953f4-6105-42a2-a16a-77a8eac79483'
    const ids = [
      { RecordType: 'Delivery', MessageID: messageId, DeliveredAt: '2024-05-01T10:00:00Z' },
      { RecordType: 'Open', MessageID: messageId, ReceivedAt: '2024-05-01T10:05:00Z' },
      { RecordType: 'Open', MessageID: messageId, ReceivedAt: '2024-05-01T11:00:00Z' },
      { RecordType: 'Click', MessageID: messageId, ReceivedAt: '2024-05-01T10:06:00Z' },
    ].map((record) => postmark.describe(request({}, JSON.stringify(record))).deliveryId)
    expect(new Set(ids).size).toBe(4)
  })

  it('describes an inbound message, which has no RecordType', () => {
    const inbound = { FromFull: { Email: 'myUser@theirDomain.com' }, MessageID: '73e6d360-66eb-11e1-8e72-a8904824019b', Date: 'Fri, 1 Aug 2014 16:45:32 -04:00', MessageStream: 'inbound' }
    expect(postmark.describe(request({}, JSON.stringify(inbound)))).toEqual({
      deliveryId: '73e6d360-66eb-11e1-8e72-a8904824019b:Inbound:Fri, 1 Aug 2014 16:45:32 -04:00',
      type: 'Inbound',
      occurredAt: new Date('2014-08-01T20:45:32Z'),
    })
  })
})
