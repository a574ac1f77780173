import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { createRawRequest } from '../../providers/kit.ts'
import { stripe } from '../../providers/stripe.ts'

const secret = 'whsec_test_secret_0123456789abcdef'
const body = JSON.stringify({ id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy', object: 'event', created: 1686089970, type: 'customer.created', data: { object: { id: 'cus_1' } } })
const opts = stripe.options.parse({ secrets: [secret] })
const now = new Date('2025-06-01T12:00:00Z')
const seconds = Math.floor(now.getTime() / 1000)

const header = (options: { secret?: string; timestamp?: number; payload?: string } = {}) =>
  Stripe.webhooks.generateTestHeaderString({ payload: options.payload ?? body, secret: options.secret ?? secret, timestamp: options.timestamp ?? seconds })

const request = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/stripe', headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('stripe', () => {
  it('accepts a delivery signed by stripe.webhooks.generateTestHeaderString', async () => {
    expect(await stripe.verify(request({ 'stripe-signature': header() }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that stripe.webhooks.constructEvent accepts', async () => {
    const draft = await stripe.sign!(stripe.sample!('invoice.paid'), opts, now)
    const event = Stripe.webhooks.constructEvent(draft.body, draft.headers['stripe-signature']!, secret, undefined, undefined, now.getTime())
    expect(event.type).toBe('invoice.paid')
  })

  it('accepts a header with several v1 signatures when any one matches', async () => {
    const good = header().split(',v1=')[1]!
    const value = `t=${seconds},v1=${'0'.repeat(64)},v1=${good},v0=${'1'.repeat(64)}`
    expect(await stripe.verify(request({ 'stripe-signature': value }), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await stripe.verify(request({ 'stripe-signature': header() }, body.replace('cus_1', 'cus_2')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await stripe.verify(request({ 'stripe-signature': header({ secret: 'whsec_other' }) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a timestamp older than the 300 s tolerance', async () => {
    const verdict = await stripe.verify(request({ 'stripe-signature': header({ timestamp: seconds - 301 }) }), opts, now)
    expect(verdict).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('accepts an old timestamp when the tolerance is widened', async () => {
    const wide = stripe.options.parse({ secrets: [secret], toleranceSeconds: 3600 })
    expect(await stripe.verify(request({ 'stripe-signature': header({ timestamp: seconds - 1800 }) }), wide, now)).toEqual({ ok: true })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = stripe.options.parse({ secrets: ['whsec_old', secret] })
    expect(await stripe.verify(request({ 'stripe-signature': header() }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing Stripe-Signature header', async () => {
    expect(await stripe.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty', ''],
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no v1', `t=${seconds}`],
    ['only v0', `t=${seconds},v0=${'a'.repeat(64)}`],
    ['short digest', `t=${seconds},v1=${'a'.repeat(63)}`],
    ['non-hex digest', `t=${seconds},v1=${'g'.repeat(64)}`],
    ['base64 digest', `t=${seconds},v1=${Buffer.alloc(32).toString('base64')}`],
    ['text timestamp', `t=yesterday,v1=${'a'.repeat(64)}`],
    ['absurd timestamp', `t=99999999999999999999999,v1=${'a'.repeat(64)}`],
    ['negative timestamp', `t=-1,v1=${'a'.repeat(64)}`],
    ['garbage', ',,,===;;t'],
    ['huge', 'v1='.repeat(100_000)],
  ])('rejects a malformed header (%s) without throwing', async (_, value) => {
    const verdict = await stripe.verify(request(value === '' ? {} : { 'stripe-signature': value }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the event id, type and creation time from the body', () => {
    expect(stripe.describe(request({}))).toEqual({ deliveryId: 'evt_1NG8Du2eZvKYlo2CUI79vXWy', type: 'customer.created', occurredAt: new Date(1686089970 * 1000) })
  })

  it('describes a non-JSON body as nothing, without throwing', () => {
    expect(stripe.describe(request({}, '\u0000not json'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
