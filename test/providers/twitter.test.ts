import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { twitter } from '../../providers/twitter.ts'

// X ships no Node verifier, so values are computed independently from the documented recipe
// (https://docs.x.com/x-api/webhooks/quickstart): 'sha256=' + base64(HMAC-SHA256(consumer secret, message)),
// where the message is the crc_token for CRC checks and the raw body for events. The consumer secret and
// token are the examples from X's developer-relations CRC samples (gist.github.com/jcipriano/373d4d441e8041f775b6227c0e2fd1f3).
const documentedSignature = (secret: string, message: string) => 'sha256=' + createHmac('sha256', secret).update(message).digest('base64')

const consumerSecret = 'z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu'
const opts = twitter.options.parse({ secrets: [consumerSecret] })
const now = new Date()
const body = JSON.stringify({
  for_user_id: '2244994945',
  tweet_create_events: [{ id_str: '1800000000000000001', text: 'hello', timestamp_ms: '1714564800123', user: { id_str: '3186181' } }],
})

const request = (headers: Record<string, string>, payload = body, method = 'POST', url = 'https://example.com/webhooks/twitter') =>
  createRawRequest({ method, url, headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('twitter', () => {
  it('accepts an event signed with the documented recipe', async () => {
    expect(await twitter.verify(request({ 'x-twitter-webhooks-signature': documentedSignature(consumerSecret, body) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the documented recipe', async () => {
    const draft = await twitter.sign!(twitter.sample!(), opts, now)
    expect(draft.headers['x-twitter-webhooks-signature']).toBe(documentedSignature(consumerSecret, draft.body))
    expect(await twitter.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    const req = request({ 'x-twitter-webhooks-signature': documentedSignature(consumerSecret, body) }, body + ' ')
    expect(await twitter.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects an event signed with another consumer secret', async () => {
    expect(await twitter.verify(request({ 'x-twitter-webhooks-signature': documentedSignature('another', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated consumer secrets', async () => {
    const rotated = twitter.options.parse({ secrets: ['old secret', consumerSecret] })
    expect(await twitter.verify(request({ 'x-twitter-webhooks-signature': documentedSignature(consumerSecret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await twitter.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty', ''],
    ['no prefix', Buffer.alloc(32).toString('base64')],
    ['hex digest', 'sha256=' + 'a'.repeat(64)],
    ['short digest', 'sha256=' + Buffer.alloc(16).toString('base64')],
    ['not base64', 'sha256=***'],
    ['sha1 prefix', 'sha1=' + Buffer.alloc(20).toString('base64')],
  ])('rejects a malformed signature header (%s) without throwing', async (_, header) => {
    const verdict = await twitter.verify(request(header === '' ? {} : { 'x-twitter-webhooks-signature': header }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('answers a CRC check with the documented response_token', async () => {
    const req = request({}, '', 'GET', 'https://example.com/webhooks/twitter?crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553')
    const answer = await twitter.challenge!(req, opts, now)
    expect(answer).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } })
    expect(JSON.parse((answer as { body: string }).body)).toEqual({ response_token: documentedSignature(consumerSecret, '9b4507b3-9040-4669-9ca3-6b94edb50553') })
  })

  it('refuses a CRC check with an empty crc_token', async () => {
    const req = request({}, '', 'GET', 'https://example.com/webhooks/twitter?crc_token=')
    expect(await twitter.challenge!(req, opts, now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })

  it('does not treat a POST or a GET without crc_token as a handshake', async () => {
    expect(await twitter.challenge!(request({}, body, 'POST', 'https://example.com/webhooks/twitter?crc_token=x'), opts, now)).toBeUndefined()
    expect(await twitter.challenge!(request({}, '', 'GET'), opts, now)).toBeUndefined()
  })

  it('rejects a GET without crc_token as an unsigned event', async () => {
    expect(await twitter.verify(request({}, '', 'GET'), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('describes the activity type, its time and a body-hash delivery id', () => {
    expect(twitter.describe(request({}))).toEqual({
      deliveryId: 'sha256:' + createHash('sha256').update(body).digest('hex'),
      type: 'tweet_create_events',
      occurredAt: new Date(1714564800123),
    })
  })

  it('describes direct messages by their created_timestamp', () => {
    const dm = JSON.stringify({ for_user_id: '1', direct_message_events: [{ type: 'message_create', id: '954491830116155396', created_timestamp: '1516403560557' }] })
    expect(twitter.describe(request({}, dm))).toMatchObject({ type: 'direct_message_events', occurredAt: new Date(1516403560557) })
  })

  it('describes a body that is not JSON without throwing', () => {
    expect(twitter.describe(request({}, '[1,2'))).toMatchObject({ type: undefined, occurredAt: undefined })
  })
})
