import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { twitch } from '../../providers/twitch.ts'

// Twitch publishes no official Node verifier, so signatures are computed independently from the
// documented recipe (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message):
// 'sha256=' + hex(HMAC-SHA256(secret, message id + timestamp + raw body)).
const documentedSignature = (secret: string, id: string, timestamp: string, body: string) =>
  'sha256=' + createHmac('sha256', secret).update(id + timestamp + body).digest('hex')

const secret = 'this-is-a-subscription-secret'
const opts = twitch.options.parse({ secrets: [secret] })
const timestamp = '2024-05-01T12:00:00.634234626Z'
const now = new Date('2024-05-01T12:00:30Z')
const messageId = 'e76c6bd4-55c9-4987-8304-da1588d8988b'
const body = JSON.stringify({
  subscription: { id: 'f1c2a387-161a-49f9-a165-0f21d7a4e1c4', type: 'channel.follow', version: '2', status: 'enabled' },
  event: { user_id: '1234', user_login: 'cool_user', broadcaster_user_id: '1337' },
})

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({
    url: 'https://example.com/webhooks/twitch',
    headers: {
      'content-type': 'application/json',
      'twitch-eventsub-message-type': 'notification',
      'twitch-eventsub-subscription-type': 'channel.follow',
      'twitch-eventsub-subscription-version': '2',
      ...headers,
    },
    body: payload,
  })

const signedHeaders = (payload = body, key = secret, ts = timestamp, id = messageId) => ({
  'twitch-eventsub-message-id': id,
  'twitch-eventsub-message-timestamp': ts,
  'twitch-eventsub-message-signature': documentedSignature(key, id, ts, payload),
})

describe('twitch', () => {
  it('accepts a notification signed with the documented recipe', async () => {
    expect(await twitch.verify(request(signedHeaders()), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the documented recipe', async () => {
    const draft = await twitch.sign!(twitch.sample!('channel.follow'), opts, now)
    const id = draft.headers['twitch-eventsub-message-id']!
    const ts = draft.headers['twitch-eventsub-message-timestamp']!
    expect(ts).toBe('2024-05-01T12:00:30.000000000Z')
    expect(draft.headers['twitch-eventsub-message-signature']).toBe(documentedSignature(secret, id, ts, draft.body))
    expect(await twitch.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await twitch.verify(request(signedHeaders(), body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a replaced message id', async () => {
    const headers = { ...signedHeaders(), 'twitch-eventsub-message-id': 'another-id' }
    expect(await twitch.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a notification signed with another secret', async () => {
    expect(await twitch.verify(request(signedHeaders(body, 'another-secret-value')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a timestamp older than 10 minutes', async () => {
    const later = new Date(Date.parse(timestamp) + 11 * 60 * 1000)
    expect(await twitch.verify(request(signedHeaders()), opts, later)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('accepts a timestamp 9 minutes old', async () => {
    const later = new Date(Date.parse(timestamp) + 9 * 60 * 1000)
    expect(await twitch.verify(request(signedHeaders()), opts, later)).toEqual({ ok: true })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = twitch.options.parse({ secrets: ['old-secret-value', secret] })
    expect(await twitch.verify(request(signedHeaders()), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    const { 'twitch-eventsub-message-signature': _, ...headers } = signedHeaders()
    expect(await twitch.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a missing timestamp header', async () => {
    const { 'twitch-eventsub-message-timestamp': _, ...headers } = signedHeaders()
    expect(await twitch.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it.each([
    ['empty signature', { 'twitch-eventsub-message-signature': '' }],
    ['no prefix', { 'twitch-eventsub-message-signature': 'a'.repeat(64) }],
    ['sha1 prefix', { 'twitch-eventsub-message-signature': 'sha1=' + 'a'.repeat(40) }],
    ['short digest', { 'twitch-eventsub-message-signature': 'sha256=' + 'a'.repeat(62) }],
    ['non-hex digest', { 'twitch-eventsub-message-signature': 'sha256=' + 'z'.repeat(64) }],
    ['empty message id', { 'twitch-eventsub-message-id': '' }],
    ['epoch seconds instead of RFC 3339', { 'twitch-eventsub-message-timestamp': '1714564800' }],
    ['garbage timestamp', { 'twitch-eventsub-message-timestamp': 'not a time' }],
    ['absurd year', { 'twitch-eventsub-message-timestamp': '9999-12-31T23:59:59Z' }],
    ['impossible date', { 'twitch-eventsub-message-timestamp': '2024-13-45T99:99:99Z' }],
  ])('rejects a malformed notification (%s) without throwing', async (_, headers) => {
    const verdict = await twitch.verify(request({ ...signedHeaders(), ...headers }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('answers a signed webhook_callback_verification with the raw challenge as text/plain', async () => {
    const verification = JSON.stringify({ challenge: 'pogchamp-kappa-360noscope-vohiyo', subscription: { type: 'channel.follow', status: 'webhook_callback_verification_pending' } })
    const req = request({ ...signedHeaders(verification), 'twitch-eventsub-message-type': 'webhook_callback_verification' }, verification)
    expect(await twitch.challenge!(req, opts, now)).toEqual({
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'pogchamp-kappa-360noscope-vohiyo',
    })
  })

  it('refuses a webhook_callback_verification whose signature does not verify', async () => {
    const verification = JSON.stringify({ challenge: 'pogchamp-kappa-360noscope-vohiyo' })
    const req = request({ ...signedHeaders(verification, 'another-secret-value'), 'twitch-eventsub-message-type': 'webhook_callback_verification' }, verification)
    expect(await twitch.challenge!(req, opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('does not treat notifications or revocations as a handshake', async () => {
    expect(await twitch.challenge!(request(signedHeaders()), opts, now)).toBeUndefined()
    expect(await twitch.challenge!(request({ ...signedHeaders(), 'twitch-eventsub-message-type': 'revocation' }), opts, now)).toBeUndefined()
  })

  it('describes the message id, subscription type and timestamp', () => {
    expect(twitch.describe(request(signedHeaders()))).toEqual({ deliveryId: messageId, type: 'channel.follow', occurredAt: new Date('2024-05-01T12:00:00.634Z') })
  })

  it('describes a revocation as type revocation', () => {
    expect(twitch.describe(request({ ...signedHeaders(), 'twitch-eventsub-message-type': 'revocation' })).type).toBe('revocation')
  })
})
