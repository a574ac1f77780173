import { Webhook } from 'svix'
import { describe, expect, it } from 'vitest'
import { createRawRequest } from '../../providers/kit.ts'
import { svix } from '../../providers/svix.ts'

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
const body = JSON.stringify({ type: 'invoice.paid', timestamp: '2024-05-01T10:00:00Z', data: { id: 'inv_1', amount: 2500 } })
const opts = svix.options.parse({ secrets: [secret] })
// The svix SDK checks its own clock, so deliveries it signs or verifies use the real time.
const now = new Date(Math.floor(Date.now() / 1000) * 1000) // whole seconds, like the headers
const seconds = Math.floor(now.getTime() / 1000)

const sdkSign = (options: { key?: string; at?: Date; payload?: string } = {}) => new Webhook(options.key ?? secret).sign(id, options.at ?? now, options.payload ?? body)

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/svix', headers: { 'content-type': 'application/json', ...headers }, body: payload })
const signed = (signature = sdkSign(), timestamp = seconds, payload = body) =>
  request({ 'svix-id': id, 'svix-timestamp': String(timestamp), 'svix-signature': signature }, payload)

describe('svix', () => {
  it('accepts a delivery signed by the svix SDK', async () => {
    expect(await svix.verify(signed(), opts, now)).toEqual({ ok: true })
  })

  it('produces svix-* headers that the svix SDK verifies', async () => {
    const draft = await svix.sign!(svix.sample!('invoice.created'), opts, now)
    expect(Object.keys(draft.headers)).toEqual(expect.arrayContaining(['svix-id', 'svix-timestamp', 'svix-signature']))
    expect(new Webhook(secret).verify(draft.body, draft.headers)).toMatchObject({ type: 'invoice.created' })
  })

  it('accepts webhook-* headers too, as the svix SDK does', async () => {
    const req = request({ 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': sdkSign() })
    expect(await svix.verify(req, opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await svix.verify(signed(sdkSign(), seconds, body.replace('2500', '25')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    const other = sdkSign({ key: 'whsec_' + Buffer.from('a different signing secret').toString('base64') })
    expect(await svix.verify(signed(other), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a timestamp more than five minutes old', async () => {
    const old = new Date(now.getTime() - 600_000)
    expect(await svix.verify(signed(sdkSign({ at: old }), seconds - 600), opts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = svix.options.parse({ secrets: ['whsec_' + Buffer.from('retired signing secret').toString('base64'), secret] })
    expect(await svix.verify(signed(), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing svix-signature header', async () => {
    expect(await svix.verify(request({ 'svix-id': id, 'svix-timestamp': String(seconds) }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty signature', { 'svix-signature': '' }],
    ['comma-less signature', { 'svix-signature': 'v1' + sdkSign().slice(3) }],
    ['hex digest', { 'svix-signature': 'v1,' + 'f'.repeat(64) }],
    ['truncated digest', { 'svix-signature': sdkSign().slice(0, -8) }],
    ['text timestamp', { 'svix-timestamp': 'NaN' }],
    ['absurd timestamp', { 'svix-timestamp': '1'.repeat(17) }],
    ['empty id', { 'svix-id': '' }],
  ])('rejects a malformed request (%s) without throwing', async (_, override) => {
    const headers = { 'svix-id': id, 'svix-timestamp': String(seconds), 'svix-signature': sdkSign(), ...override }
    const verdict = await svix.verify(request(headers), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the svix-id, event type and event time', () => {
    expect(svix.describe(signed())).toEqual({ deliveryId: id, type: 'invoice.paid', occurredAt: new Date('2024-05-01T10:00:00Z') })
  })
})
