import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { zoom } from '../../providers/zoom.ts'

// No official Zoom package that verifies webhooks is installed (@zoom/rivet is not a dependency), so
// signatures are computed independently from the documented recipe:
// https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events
// message = `v0:${x-zm-request-timestamp}:${raw body}`, header = `v0=` + hex(HMAC-SHA256(secret token, message)).
const documentedSignature = (secret: string, timestamp: string, body: string) => 'v0=' + createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')

const secret = 'zoom-secret-token'
const opts = zoom.options.parse({ secrets: [secret] })
const now = new Date('2024-05-01T12:00:00Z')
const timestamp = String(now.getTime() / 1000)
const body = JSON.stringify({
  event: 'meeting.started',
  event_ts: 1714564800123,
  payload: { account_id: 'AAAAAABBBB', object: { id: '1234567890', uuid: 'czLF6FFlTjWGf7r2NFV8rQ==', topic: 'My Meeting' } },
})

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/zoom', headers: { 'content-type': 'application/json', ...headers }, body: payload })

const signed = (payload = body, key = secret, ts = timestamp) => request({ 'x-zm-request-timestamp': ts, 'x-zm-signature': documentedSignature(key, ts, payload) }, payload)

describe('zoom', () => {
  it('accepts a delivery signed with the documented recipe', async () => {
    expect(await zoom.verify(signed(), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the documented recipe', async () => {
    const draft = await zoom.sign!(zoom.sample!('meeting.started'), opts, now)
    expect(draft.headers['x-zm-request-timestamp']).toBe(timestamp)
    expect(draft.headers['x-zm-signature']).toBe(documentedSignature(secret, timestamp, draft.body))
    expect(await zoom.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    const req = request({ 'x-zm-request-timestamp': timestamp, 'x-zm-signature': documentedSignature(secret, timestamp, body) }, body + ' ')
    expect(await zoom.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await zoom.verify(signed(body, 'another secret'), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a timestamp outside the tolerance', async () => {
    const later = new Date(now.getTime() + 6 * 60 * 1000)
    expect(await zoom.verify(signed(), opts, later)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a signature whose timestamp header was replaced', async () => {
    const req = request({ 'x-zm-request-timestamp': String(Number(timestamp) + 1), 'x-zm-signature': documentedSignature(secret, timestamp, body) })
    expect(await zoom.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = zoom.options.parse({ secrets: ['old secret', secret] })
    expect(await zoom.verify(signed(), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await zoom.verify(request({ 'x-zm-request-timestamp': timestamp }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a missing timestamp header', async () => {
    expect(await zoom.verify(request({ 'x-zm-signature': documentedSignature(secret, timestamp, body) }), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it.each([
    ['empty signature', { 'x-zm-signature': '' }],
    ['no prefix', { 'x-zm-signature': 'a'.repeat(64) }],
    ['wrong prefix', { 'x-zm-signature': 'v1=' + 'a'.repeat(64) }],
    ['short digest', { 'x-zm-signature': 'v0=' + 'a'.repeat(63) }],
    ['non-hex digest', { 'x-zm-signature': 'v0=' + 'g'.repeat(64) }],
    ['base64 digest', { 'x-zm-signature': 'v0=' + Buffer.alloc(32).toString('base64') }],
    ['timestamp in the far future', { 'x-zm-request-timestamp': '99999999999999' }],
    ['negative timestamp', { 'x-zm-request-timestamp': '-1' }],
    ['non-numeric timestamp', { 'x-zm-request-timestamp': 'yesterday' }],
    ['fractional timestamp', { 'x-zm-request-timestamp': '1714564800.5' }],
  ])('rejects a malformed delivery (%s) without throwing', async (_, headers) => {
    const good = { 'x-zm-request-timestamp': timestamp, 'x-zm-signature': documentedSignature(secret, timestamp, body) }
    const verdict = await zoom.verify(request({ ...good, ...headers }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('answers a signed endpoint.url_validation with the encrypted plainToken', async () => {
    const validation = JSON.stringify({ payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' }, event_ts: 1654503849680, event: 'endpoint.url_validation' })
    const rotated = zoom.options.parse({ secrets: ['old secret', secret] })
    const answer = await zoom.challenge!(signed(validation), rotated, now)
    expect(answer).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } })
    expect(JSON.parse((answer as { body: string }).body)).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: createHmac('sha256', secret).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex'),
    })
  })

  it('refuses an endpoint.url_validation whose signature does not verify', async () => {
    const validation = JSON.stringify({ payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' }, event_ts: 1654503849680, event: 'endpoint.url_validation' })
    expect(await zoom.challenge!(signed(validation, 'another secret'), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('refuses a signed endpoint.url_validation without a plainToken', async () => {
    const validation = JSON.stringify({ payload: {}, event_ts: 1654503849680, event: 'endpoint.url_validation' })
    expect(await zoom.challenge!(signed(validation), opts, now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })

  it('does not treat ordinary events as a handshake', async () => {
    expect(await zoom.challenge!(signed(), opts, now)).toBeUndefined()
  })

  it('describes the event, its time and a delivery id built from the event and its object', () => {
    expect(zoom.describe(signed())).toEqual({
      deliveryId: 'meeting.started:1714564800123:czLF6FFlTjWGf7r2NFV8rQ==',
      type: 'meeting.started',
      occurredAt: new Date(1714564800123),
    })
  })

  it('falls back to x-zm-trackingid and never throws on a body that is not JSON', () => {
    expect(zoom.describe(request({ 'x-zm-trackingid': 'v=2.0;clid=aw1;rid=abc' }, 'not json'))).toEqual({ deliveryId: 'v=2.0;clid=aw1;rid=abc', type: undefined, occurredAt: undefined })
  })
})
