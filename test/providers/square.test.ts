import { createHmac } from 'node:crypto'
import { WebhooksHelper } from 'square'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { square } from '../../providers/square.ts'

// The square SDK can only verify (WebhooksHelper.verifySignature), so both directions are proven:
// it accepts what square.sign produces, and square.verify accepts what it accepts.
const signatureKey = 'asdf1234'
const notificationUrl = 'https://example.com/webhooks/square'
const body = JSON.stringify({
  merchant_id: '6SSW7HV8K2ST5',
  type: 'payment.created',
  event_id: '13b867cf-db3d-4b1c-90b6-2f32a9d78124',
  created_at: '2020-02-06T21:27:30.792Z',
  data: { type: 'payment', id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY', object: { payment: { id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY' } } },
})
const opts = square.options.parse({ secrets: [signatureKey] })
const now = new Date()

const request = (headers: Record<string, string>, payload = body, url = notificationUrl) =>
  createRawRequest({ url, headers: { 'content-type': 'application/json', ...headers }, body: payload })

// A signature computed independently (the SDK's own recipe), then confirmed by the SDK before use.
const sdkAcceptedSignature = async (payload = body, key = signatureKey, url = notificationUrl) => {
  const signatureHeader = createHmac('sha256', key).update(url + payload).digest('base64')
  expect(await WebhooksHelper.verifySignature({ requestBody: payload, signatureHeader, signatureKey: key, notificationUrl: url })).toBe(true)
  return signatureHeader
}

describe('square', () => {
  it('accepts a delivery that the square SDK verifies', async () => {
    const signature = await sdkAcceptedSignature()
    expect(await square.verify(request({ 'x-square-hmacsha256-signature': signature }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that the square SDK verifies', async () => {
    const draft = await square.sign!({ ...square.sample!(), url: notificationUrl }, opts, now)
    const verified = await WebhooksHelper.verifySignature({
      requestBody: draft.body,
      signatureHeader: draft.headers['x-square-hmacsha256-signature']!,
      signatureKey,
      notificationUrl,
    })
    expect(verified).toBe(true)
    expect(await square.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    const signature = await sdkAcceptedSignature()
    expect(await square.verify(request({ 'x-square-hmacsha256-signature': signature }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed for another notification URL, naming the URL it checked', async () => {
    const signature = await sdkAcceptedSignature(body, signatureKey, 'https://example.com/other')
    const verdict = await square.verify(request({ 'x-square-hmacsha256-signature': signature }), opts, now)
    expect(verdict).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(!verdict.ok && verdict.hint).toContain(notificationUrl)
  })

  it('rejects a delivery signed with another key', async () => {
    const signature = await sdkAcceptedSignature(body, 'another key')
    expect(await square.verify(request({ 'x-square-hmacsha256-signature': signature }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated keys', async () => {
    const signature = await sdkAcceptedSignature()
    const rotated = square.options.parse({ secrets: ['old key', signatureKey] })
    expect(await square.verify(request({ 'x-square-hmacsha256-signature': signature }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await square.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('does not accept the legacy sha1 x-square-signature', async () => {
    const sha1 = createHmac('sha1', signatureKey).update(notificationUrl + body).digest('base64')
    expect(await square.verify(request({ 'x-square-signature': sha1 }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty', ''],
    ['not base64', '!!!not-base64!!!'],
    ['too short', Buffer.alloc(31).toString('base64')],
    ['too long', Buffer.alloc(33).toString('base64')],
    ['hex instead of base64', 'a'.repeat(64)],
    ['a prefix', 'sha256=' + Buffer.alloc(32).toString('base64')],
    ['huge', 'A'.repeat(100_000)],
  ])('rejects a malformed signature header (%s) without throwing', async (_, header) => {
    const verdict = await square.verify(request({ 'x-square-hmacsha256-signature': header }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the event id, type and creation time', () => {
    expect(square.describe(request({}))).toEqual({
      deliveryId: '13b867cf-db3d-4b1c-90b6-2f32a9d78124',
      type: 'payment.created',
      occurredAt: new Date('2020-02-06T21:27:30.792Z'),
    })
  })

  it('describes a body that is not JSON as nothing, without throwing', () => {
    expect(square.describe(request({}, '\u0000garbage'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
