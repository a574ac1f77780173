import { Paddle } from '@paddle/paddle-node-sdk'
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { paddle } from '../../providers/paddle.ts'

// @paddle/paddle-node-sdk can only verify (webhooks.isSignatureValid / unmarshal, on the wall clock
// with a 5 s window), so both directions are proven: the SDK accepts what sign() produces, and verify()
// accepts a request, signed independently with node:crypto, that the SDK accepts.
const secret = 'pdl_ntfset_01hv6y2q4k3h8fxbb0wpmz6bhc_Hd2vZ0xGQfC7Xkq0pbP8y1Yv7Ul4eZAb'
const sdk = new Paddle('pdl_sdbx_apikey_01hv6y00000000000000000000_test')
const opts = paddle.options.parse({ secrets: [secret] })
const now = new Date()
const ts = String(Math.floor(now.getTime() / 1000))

const body = JSON.stringify({ event_id: 'evt_01hv8x2acma2gz9z3zf5cjb9e6', event_type: 'subscription.created', occurred_at: '2024-04-12T10:18:49.621022Z', notification_id: 'ntf_01hv8x2af1cwdkb0gwtd7wgm7w', data: { id: 'sub_01hv8x29kz0t586xy6zn1a62ny', status: 'active' } })
const h1 = (key: string, data = body, at = ts) => createHmac('sha256', key).update(`${at}:${data}`).digest('hex')
const request = (signature: string | undefined, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/paddle', headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'paddle-signature': signature }) }, body: payload })

describe('paddle', () => {
  it('accepts a delivery that the Paddle SDK accepts', async () => {
    const signature = `ts=${ts};h1=${h1(secret)}`
    expect(await sdk.webhooks.isSignatureValid(body, secret, signature)).toBe(true)
    expect(await paddle.verify(request(signature), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that the Paddle SDK accepts (isSignatureValid and unmarshal)', async () => {
    const draft = await paddle.sign!(paddle.sample!('transaction.completed'), opts, now)
    expect(await sdk.webhooks.isSignatureValid(draft.body, secret, draft.headers['paddle-signature']!)).toBe(true)
    const event = await sdk.webhooks.unmarshal(draft.body, secret, draft.headers['paddle-signature']!)
    expect(event.eventType).toBe('transaction.completed')
    expect(await paddle.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('accepts any of several h1 signatures sent during a secret rotation', async () => {
    const signature = `ts=${ts};h1=${h1('old secret')};h1=${h1(secret)}`
    expect(await paddle.verify(request(signature), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await paddle.verify(request(`ts=${ts};h1=${h1(secret)}`, body.replace('active', 'canceled')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await paddle.verify(request(`ts=${ts};h1=${h1('another secret')}`), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a ts that differs from the signed one', async () => {
    expect(await paddle.verify(request(`ts=${Number(ts) - 1};h1=${h1(secret)}`), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two configured secrets', async () => {
    const rotated = paddle.options.parse({ secrets: ['old secret', secret] })
    expect(await paddle.verify(request(`ts=${ts};h1=${h1(secret)}`), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a signature older than the SDK default of 5 seconds', async () => {
    const later = new Date(now.getTime() + 6000)
    const signature = `ts=${ts};h1=${h1(secret)}`
    expect(await paddle.verify(request(signature), opts, later)).toMatchObject({ ok: false, reason: 'stale' })
    expect(await paddle.verify(request(signature), paddle.options.parse({ secrets: [secret], toleranceSeconds: 60 }), later)).toEqual({ ok: true })
  })

  it('rejects a missing Paddle-Signature header', async () => {
    expect(await paddle.verify(request(undefined), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    '',
    'garbage',
    `h1=${'a'.repeat(64)}`,
    `ts=${ts}`,
    `ts=${ts};h1=`,
    `ts=${ts};h1=zz`,
    `ts=${ts};h1=${'a'.repeat(63)}`,
    `ts=${ts};h2=${'a'.repeat(64)}`,
    `ts=soon;h1=${'a'.repeat(64)}`,
    `ts=${'9'.repeat(40)};h1=${'a'.repeat(64)}`,
    `ts=${ts},h1=${'a'.repeat(64)}`,
    ';;;==;',
  ])('rejects the malformed header %j without throwing', async (signature) => {
    expect((await paddle.verify(request(signature === '' ? undefined : signature), opts, now)).ok).toBe(false)
  })

  it('describes the event id, type and time from the body', () => {
    expect(paddle.describe(request(undefined))).toEqual({ deliveryId: 'evt_01hv8x2acma2gz9z3zf5cjb9e6', type: 'subscription.created', occurredAt: new Date('2024-04-12T10:18:49.621Z') })
  })

  it('describes a non-JSON body without throwing', () => {
    expect(paddle.describe(request(undefined, 'p_signature=abc'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
