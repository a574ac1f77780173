import { createHash, createHmac } from 'node:crypto'
import Pusher from 'pusher'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { pusher } from '../../providers/pusher.ts'

const key = '278d425bdf160c739803'
const secret = '7ad3773142a6692b25b8'
const sdk = new Pusher({ appId: '1234', key, secret, cluster: 'eu' })
const opts = pusher.options.parse({ key, secrets: [secret] })
const now = new Date()
const body = JSON.stringify({ time_ms: 1327078148132, events: [{ name: 'channel_occupied', channel: 'presence-room' }] })

/** Pusher's SDK only verifies; the signature is computed with node:crypto as the docs state it: hex HMAC-SHA256 of the body. */
const hexSignature = (payload: string, key = secret) => createHmac('sha256', key).update(payload).digest('hex')
const headersFor = (signature: string, appKey = key) => ({ 'content-type': 'application/json', 'x-pusher-key': appKey, 'x-pusher-signature': signature })
const request = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/pusher', headers, body: payload })

describe('pusher', () => {
  it('accepts a delivery that the pusher SDK webhook().isValid() accepts', async () => {
    const headers = headersFor(hexSignature(body))
    expect(sdk.webhook({ headers, rawBody: body }).isValid()).toBe(true)
    expect(await pusher.verify(request(headers), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that the pusher SDK webhook().isValid() accepts', async () => {
    const draft = await pusher.sign!(pusher.sample!('member_added'), opts, now)
    expect(sdk.webhook({ headers: draft.headers, rawBody: draft.body }).isValid()).toBe(true)
    expect(await pusher.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await pusher.verify(request(headersFor(hexSignature(body)), body.replace('occupied', 'vacated')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a body signed with another secret', async () => {
    expect(await pusher.verify(request(headersFor(hexSignature(body, 'another secret'))), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two secrets for the key', async () => {
    const rotated = pusher.options.parse({ key, secrets: ['old secret', secret] })
    expect(await pusher.verify(request(headersFor(hexSignature(body))), rotated, now)).toEqual({ ok: true })
  })

  it('accepts a delivery signed by an extra key pair, as isValid(extraTokens) does', async () => {
    const extra = { key: 'b0a9c5c0a3c1e2f1d0e9', secret: 'e1f9b2c3d4a5b6c7d8e9' }
    const headers = headersFor(hexSignature(body, extra.secret), extra.key)
    expect(sdk.webhook({ headers, rawBody: body }).isValid([extra])).toBe(true)
    expect(await pusher.verify(request(headers), pusher.options.parse({ key, secrets: [secret], extraKeys: [extra] }), now)).toEqual({ ok: true })
  })

  it('rejects a delivery whose X-Pusher-Key names no configured key', async () => {
    expect(await pusher.verify(request(headersFor(hexSignature(body), 'unknown-key')), opts, now)).toMatchObject({ ok: false, reason: 'unknown-key' })
  })

  it('tries the secrets whatever key X-Pusher-Key names when no key is configured', async () => {
    const anyKey = pusher.options.parse({ secrets: [secret] })
    expect(await pusher.verify(request(headersFor(hexSignature(body), 'some-other-key')), anyKey, now)).toEqual({ ok: true })
    expect(await pusher.verify(request(headersFor(hexSignature(body, 'another secret'), 'some-other-key')), anyKey, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a missing X-Pusher-Key', async () => {
    expect(await pusher.verify(request({ 'content-type': 'application/json', 'x-pusher-signature': hexSignature(body) }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a missing X-Pusher-Signature', async () => {
    expect(await pusher.verify(request({ 'content-type': 'application/json', 'x-pusher-key': key }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a body that is not JSON, as the SDK does', async () => {
    expect(await pusher.verify(request(headersFor(hexSignature('not json')), 'not json'), opts, now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })

  it.each(['sha256=' + hexSignature(body), 'z'.repeat(64), 'ab'.repeat(31), 'ab'.repeat(64), 'abc', ' '])('rejects the malformed signature %j without throwing', async (signature) => {
    const verdict = await pusher.verify(request(headersFor(signature)), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes a delivery by a hash of the body, its event names and time_ms', () => {
    const batch = JSON.stringify({ time_ms: 1327078148132, events: [{ name: 'member_added', channel: 'presence-a', user_id: '1' }, { name: 'channel_occupied', channel: 'presence-a' }] })
    expect(pusher.describe(request({}, batch))).toEqual({
      deliveryId: `sha256:${createHash('sha256').update(batch).digest('hex')}`,
      type: 'member_added,channel_occupied',
      occurredAt: new Date(1327078148132),
    })
  })

  it.each(['', 'null', '[]', '{"events": "nope", "time_ms": "x"}'])('describes the garbage body %j without throwing', (payload) => {
    expect(() => pusher.describe(request({}, payload))).not.toThrow()
  })
})
