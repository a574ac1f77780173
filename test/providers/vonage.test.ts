import { createHash, createHmac, randomUUID } from 'node:crypto'
import { verifySignature as vonageVerifyJwt } from '@vonage/jwt'
import { Vonage } from '@vonage/server-sdk'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest, type RequestDraft } from '../../providers/kit.ts'
import { vonage } from '../../providers/vonage.ts'

const secret = 'Zy8s2wB3dF5kQ7pL9mN1rT4vX6yA0cE2'
const now = new Date()
const nowSeconds = Math.floor(now.getTime() / 1000)
const sms = new Vonage({ apiKey: 'abcd1234', apiSecret: 'unused' }).sms
type Algorithm = Parameters<typeof sms.verifySignature>[3]
/** Our option name → the SDK's `AlgorithmTypes` value (from @vonage/auth, a dependency of the server SDK). */
const SDK_ALGORITHM = { md5hash: 'MD5HASH', md5: 'MD5HMAC', sha1: 'SHA1HMAC', sha256: 'SHA256HMAC', sha512: 'SHA512HMAC' } as const
const METHODS = Object.keys(SDK_ALGORITHM) as (keyof typeof SDK_ALGORITHM)[]

const options = (extra: Record<string, unknown> = {}) => vonage.options.parse({ secrets: [secret], ...extra })

/** The signature as the signing-messages guide spells it out, computed independently of the module. */
function guideSignature(params: Record<string, string>, key: string, method: keyof typeof SDK_ALGORITHM) {
  const base = Object.keys(params)
    .sort()
    .map((k) => `&${k}=${params[k]!.replace(/[&=]/g, '_')}`)
    .join('')
  if (method === 'md5hash') return createHash('md5').update(base + key).digest('hex')
  return createHmac(method, key).update(base).digest('hex').toUpperCase()
}

const inboundParams = (extra: Record<string, string> = {}) => ({
  msisdn: '447700900001',
  to: '447700900000',
  messageId: '0A0000000123ABCD1',
  text: 'Fish & chips = dinner',
  type: 'text',
  keyword: 'FISH',
  'api-key': 'abcd1234',
  'message-timestamp': '2020-01-01 12:00:00',
  timestamp: String(nowSeconds),
  nonce: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
  ...extra,
})

const smsGet = (params: Record<string, string>) => createRawRequest({ method: 'GET', url: `http://localhost/webhooks/vonage?${new URLSearchParams(params)}` })

/** An HS256 JWT built with node:crypto, independently of the module. */
function independentJwt(claims: Record<string, unknown>, key = secret, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }) {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const unsigned = `${encode(header)}.${encode(claims)}`
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`
}

const statusBody = JSON.stringify({ message_uuid: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab', to: '447700900001', from: '447700900000', timestamp: '2020-01-01T14:00:03.010Z', status: 'delivered', channel: 'sms' })
const bodyHash = (body: string) => createHash('sha256').update(body).digest('hex')
const jwtRequest = (token: string, body = statusBody) =>
  createRawRequest({ url: 'http://localhost/webhooks/vonage', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body })
const claimsFor = (body: string, extra: Record<string, unknown> = {}) => ({ iat: nowSeconds, jti: randomUUID(), iss: 'Vonage', payload_hash: bodyHash(body), api_key: 'abcd1234', ...extra })

describe('vonage SMS API signatures (sig parameter)', () => {
  it.each(METHODS)('accepts an inbound GET signed with %s that @vonage/sms verifySignature accepts', async (method) => {
    const params = inboundParams()
    const sig = guideSignature(params, secret, method)
    expect(sms.verifySignature(sig, params, secret, SDK_ALGORITHM[method] as Algorithm)).toBe(true)
    expect(await vonage.verify(smsGet({ ...params, sig }), options({ signatureMethod: method }), now)).toEqual({ ok: true })
  })

  it.each(METHODS)('produces %s signatures that @vonage/sms verifySignature accepts', async (method) => {
    const draft = await vonage.sign!(vonage.sample!('inbound-sms'), options({ signatureMethod: method }), now)
    const params = Object.fromEntries(new URL(draft.url).searchParams)
    expect(params.timestamp).toBe(String(nowSeconds))
    expect(sms.verifySignature(params.sig!, params, secret, SDK_ALGORITHM[method] as Algorithm)).toBe(true)
  })

  it('signs and verifies a POST JSON delivery receipt', async () => {
    const draft = await vonage.sign!(vonage.sample!('delivery-receipt'), options({ signatureMethod: 'sha256' }), now)
    const params = JSON.parse(draft.body) as Record<string, string>
    expect(sms.verifySignature(params.sig!, params, secret, 'SHA256HMAC' as Algorithm)).toBe(true)
    expect(await vonage.verify(draftToRawRequest(draft), options({ signatureMethod: 'sha256' }), now)).toEqual({ ok: true })
  })

  it('verifies a POST form-encoded inbound message', async () => {
    const params = inboundParams()
    const body = new URLSearchParams({ ...params, sig: guideSignature(params, secret, 'sha1') }).toString()
    const req = createRawRequest({ url: 'http://localhost/webhooks/vonage', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
    expect(await vonage.verify(req, options({ signatureMethod: 'sha1' }), now)).toEqual({ ok: true })
  })

  it('accepts a lowercase HMAC digest as well as an uppercase one', async () => {
    const params = inboundParams()
    const sig = guideSignature(params, secret, 'sha512').toLowerCase()
    expect(await vonage.verify(smsGet({ ...params, sig }), options({ signatureMethod: 'sha512' }), now)).toEqual({ ok: true })
  })

  it('rejects a tampered parameter', async () => {
    const params = inboundParams()
    const sig = guideSignature(params, secret, 'md5hash')
    expect(await vonage.verify(smsGet({ ...params, text: 'Fish & chips = lunch', sig }), options(), now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a sig computed with another secret', async () => {
    const params = inboundParams()
    expect(await vonage.verify(smsGet({ ...params, sig: guideSignature(params, 'another secret', 'md5hash') }), options(), now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a sig computed with another signature method', async () => {
    const params = inboundParams()
    expect(await vonage.verify(smsGet({ ...params, sig: guideSignature(params, secret, 'md5') }), options(), now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a timestamp older than five minutes', async () => {
    const params = inboundParams({ timestamp: String(nowSeconds - 301) })
    expect(await vonage.verify(smsGet({ ...params, sig: guideSignature(params, secret, 'md5hash') }), options(), now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a signed request without a timestamp unless the window is disabled', async () => {
    const { timestamp: _timestamp, ...params } = inboundParams()
    const req = smsGet({ ...params, sig: guideSignature(params, secret, 'md5hash') })
    expect(await vonage.verify(req, options(), now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
    expect(await vonage.verify(req, options({ toleranceSeconds: 0 }), now)).toEqual({ ok: true })
  })

  it('accepts the second of two rotated secrets', async () => {
    const params = inboundParams()
    const rotated = options({ secrets: ['old secret', secret] })
    expect(await vonage.verify(smsGet({ ...params, sig: guideSignature(params, secret, 'md5hash') }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a request with neither sig nor Authorization', async () => {
    expect(await vonage.verify(smsGet(inboundParams()), options(), now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['an empty sig', { sig: '' }],
    ['a non-hex sig', { sig: 'z'.repeat(32) }],
    ['a sig of the wrong length', { sig: 'ab'.repeat(20) }],
    ['an odd-length sig', { sig: 'abc' }],
    ['a non-numeric timestamp', { sig: 'ab'.repeat(16), timestamp: 'yesterday' }],
    ['an absurd timestamp', { sig: 'ab'.repeat(16), timestamp: '99999999999999999' }],
    ['a negative timestamp', { sig: 'ab'.repeat(16), timestamp: '-1' }],
  ])('rejects %s without throwing', async (_label, extra) => {
    const verdict = await vonage.verify(smsGet(inboundParams(extra)), options(), now)
    expect(verdict.ok).toBe(false)
  })

  it('rejects an unsigned nested JSON body as unsigned', async () => {
    const req = createRawRequest({ url: 'http://localhost/webhooks/vonage', headers: { 'content-type': 'application/json' }, body: statusBody.replace('"channel"', '"usage":{"price":"0.1"},"channel"') })
    expect(await vonage.verify(req, options(), now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a JSON body that is not a flat object without throwing', async () => {
    const req = createRawRequest({ url: 'http://localhost/webhooks/vonage', headers: { 'content-type': 'application/json' }, body: '{"sig":{"nested":true}}' })
    expect(await vonage.verify(req, options(), now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })
})

describe('vonage Messages and Voice API signatures (JWT)', () => {
  it('produces JWTs that @vonage/jwt verifySignature accepts', async () => {
    const draft = await vonage.sign!(vonage.sample!('message-status'), options(), now)
    const token = draft.headers.authorization!.replace(/^Bearer /, '')
    expect(vonageVerifyJwt(token, secret)).toBe(true)
    expect(vonageVerifyJwt(token, 'another secret')).toBe(false)
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>
    expect(claims.payload_hash).toBe(bodyHash(draft.body))
  })

  it('accepts a JWT that @vonage/jwt verifySignature accepts', async () => {
    const token = independentJwt(claimsFor(statusBody))
    expect(vonageVerifyJwt(token, secret)).toBe(true)
    expect(await vonage.verify(jwtRequest(token), options(), now)).toEqual({ ok: true })
  })

  it('accepts its own signed inbound message', async () => {
    const draft = await vonage.sign!(vonage.sample!('inbound-message'), options(), now)
    expect(await vonage.verify(draftToRawRequest(draft), options(), now)).toEqual({ ok: true })
  })

  it('rejects a tampered body whose payload_hash no longer matches', async () => {
    const token = independentJwt(claimsFor(statusBody))
    expect(await vonage.verify(jwtRequest(token, statusBody.replace('delivered', 'rejected')), options(), now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a JWT signed with another secret', async () => {
    const token = independentJwt(claimsFor(statusBody), 'another secret')
    expect(await vonage.verify(jwtRequest(token), options(), now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a JWT issued more than five minutes ago', async () => {
    const token = independentJwt(claimsFor(statusBody, { iat: nowSeconds - 3600 }))
    expect(await vonage.verify(jwtRequest(token), options(), now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects an expired JWT', async () => {
    const token = independentJwt(claimsFor(statusBody, { exp: nowSeconds - 1 }))
    expect(await vonage.verify(jwtRequest(token), options(), now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a JWT without payload_hash when there is a body', async () => {
    const { payload_hash: _hash, ...claims } = claimsFor(statusBody)
    expect(await vonage.verify(jwtRequest(independentJwt(claims)), options(), now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const token = independentJwt(claimsFor(statusBody))
    expect(await vonage.verify(jwtRequest(token), options({ secrets: ['old secret', secret] }), now)).toEqual({ ok: true })
  })

  it('rejects an unsigned alg=none JWT', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claimsFor(statusBody))}.${'A'.repeat(43)}`
    expect(await vonage.verify(jwtRequest(token), options(), now)).toMatchObject({ ok: false, reason: 'malformed-signature' })
  })

  it.each(['', 'abc', 'a.b', 'a.b.c.d', '!!.??.**', `${'e30'}.${'e30'}.${'A'.repeat(43)}`, `bm90IGpzb24.e30.${'A'.repeat(43)}`, independentJwt({ iat: 'soon', payload_hash: 'x' })])(
    'rejects the malformed bearer token %j without throwing',
    async (token) => {
      const verdict = await vonage.verify(jwtRequest(token), options(), now)
      expect(verdict.ok).toBe(false)
    },
  )
})

describe('vonage describe', () => {
  it('describes a Messages status by message_uuid and status, with its timestamp', () => {
    expect(vonage.describe(jwtRequest('x'))).toEqual({
      deliveryId: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab:delivered',
      type: 'delivered',
      occurredAt: new Date('2020-01-01T14:00:03.010Z'),
    })
  })

  it('describes an inbound SMS by messageId, with its signed timestamp', () => {
    expect(vonage.describe(smsGet(inboundParams()))).toEqual({ deliveryId: '0A0000000123ABCD1', type: 'text', occurredAt: new Date(nowSeconds * 1000) })
  })

  it('falls back to message-timestamp, read as UTC', () => {
    const { timestamp: _timestamp, ...params } = inboundParams()
    expect(vonage.describe(smsGet(params)).occurredAt).toEqual(new Date('2020-01-01T12:00:00Z'))
  })

  it('describes garbage without throwing', () => {
    const draft: RequestDraft = { method: 'POST', url: 'http://localhost/webhooks/vonage', headers: { 'content-type': 'application/json' }, body: '[1,2' }
    expect(vonage.describe(draftToRawRequest(draft))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
