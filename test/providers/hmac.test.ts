import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { describeHmac, hmac } from '../../providers/hmac.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// No SDK exists for a generic scheme: every expected digest is computed here with node:crypto.
const secret = 'generic shared secret'
const body = JSON.stringify({ id: 'evt_42', type: 'order.created', data: { order_id: 42 } })
const now = new Date('2025-06-01T12:00:00Z')

const digest = (algorithm: string, encoding: 'hex' | 'base64', payload = body, key = secret) => createHmac(algorithm, key).update(payload).digest(encoding)
const request = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/hmac', headers: { 'content-type': 'application/json', ...headers }, body: payload })

const combinations = (['sha1', 'sha256', 'sha512'] as const).flatMap((algorithm) => (['hex', 'base64'] as const).map((encoding) => ({ algorithm, encoding })))

describe('hmac', () => {
  describe.each(combinations)('$algorithm / $encoding', ({ algorithm, encoding }) => {
    const opts = hmac.options.parse({ secrets: [secret], header: 'x-signature', algorithm, encoding })

    it('accepts a digest computed with node:crypto', async () => {
      expect(await hmac.verify(request({ 'x-signature': digest(algorithm, encoding) }), opts, now)).toEqual({ ok: true })
    })

    it('signs exactly what node:crypto computes', async () => {
      const draft = await hmac.sign!(hmac.sample!(), opts, now)
      expect(draft.headers['x-signature']).toBe(digest(algorithm, encoding, draft.body))
    })

    it('rejects a tampered body', async () => {
      expect(await hmac.verify(request({ 'x-signature': digest(algorithm, encoding) }, body + '\n'), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
    })

    it('rejects a digest made with another secret', async () => {
      expect(await hmac.verify(request({ 'x-signature': digest(algorithm, encoding, body, 'other') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
    })

    it('accepts the second of two rotated secrets', async () => {
      const rotated = hmac.options.parse({ secrets: ['old', secret], header: 'x-signature', algorithm, encoding })
      expect(await hmac.verify(request({ 'x-signature': digest(algorithm, encoding) }), rotated, now)).toEqual({ ok: true })
    })

    it('accepts a prefixed digest when a prefix is configured', async () => {
      const prefixed = hmac.options.parse({ secrets: [secret], header: 'x-signature', algorithm, encoding, prefix: `${algorithm}=` })
      expect(await hmac.verify(request({ 'x-signature': `${algorithm}=${digest(algorithm, encoding)}` }), prefixed, now)).toEqual({ ok: true })
      expect(await hmac.verify(request({ 'x-signature': digest(algorithm, encoding) }), prefixed, now)).toMatchObject({ ok: false, reason: 'malformed-signature' })
    })
  })

  const opts = hmac.options.parse({ secrets: [secret], header: 'x-signature' })

  it('defaults to sha256 and hex', () => {
    expect(opts).toMatchObject({ algorithm: 'sha256', encoding: 'hex' })
  })

  it('accepts an upper-case hex digest', async () => {
    expect(await hmac.verify(request({ 'x-signature': digest('sha256', 'hex').toUpperCase() }), opts, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await hmac.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty', ''],
    ['short hex', digest('sha256', 'hex').slice(2)],
    ['sha1 length', digest('sha1', 'hex')],
    ['sha512 length', digest('sha512', 'hex')],
    ['non-hex', 'z'.repeat(64)],
    ['base64 instead of hex', digest('sha256', 'base64')],
    ['odd length', 'a'.repeat(63)],
    ['huge', 'a'.repeat(1_000_000)],
  ])('rejects the malformed signature %s without throwing', async (_, value) => {
    const verdict = await hmac.verify(request(value === '' ? {} : { 'x-signature': value }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it.each([
    ['no header', { secrets: [secret] }],
    ['an upper-case header', { secrets: [secret], header: 'X-Signature' }],
    ['an unknown algorithm', { secrets: [secret], header: 'x-signature', algorithm: 'md5' }],
    ['an unknown encoding', { secrets: [secret], header: 'x-signature', encoding: 'base32' }],
    ['no secret', { header: 'x-signature' }],
  ])('refuses options with %s', (_, input) => {
    expect(hmac.options.safeParse(input).success).toBe(false)
  })

  it('describes the delivery from the configured id and type headers', () => {
    const described = describeHmac(request({ 'x-request-id': 'd-7', 'x-event': 'order.created' }), { idHeader: 'x-request-id', typeHeader: 'x-event' })
    expect(described).toEqual({ deliveryId: 'd-7', type: 'order.created' })
  })

  it('describes nothing when no id or type header is configured', () => {
    expect(hmac.describe(request({ 'x-request-id': 'd-7' }))).toEqual({ deliveryId: undefined, type: undefined })
  })

  it('fills the configured id and type headers when signing a sample', async () => {
    const withIds = hmac.options.parse({ secrets: [secret], header: 'x-signature', idHeader: 'x-request-id', typeHeader: 'x-event' })
    const draft = await hmac.sign!(hmac.sample!('invoice.paid'), withIds, now)
    expect(describeHmac(draftToRawRequest(draft), withIds)).toEqual({ deliveryId: draft.headers['x-webhook-id'], type: 'invoice.paid' })
  })
})
