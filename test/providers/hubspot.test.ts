import { Signature } from '@hubspot/api-client'
import { describe, expect, it } from 'vitest'
import { hubspot } from '../../providers/hubspot.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// @hubspot/api-client can compute (`Signature.getSignature`) and check (`Signature.isValid`) all three
// versions. `isValid` reads the clock itself (v3 rejects timestamps older than 5 minutes), so v3 tests use
// the real time. The SDK takes the URL as given: HubSpot's decoding of %3A, %2F… is applied by the caller.
const clientSecret = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy'
const url = 'https://www.example.com/webhook_uri'
const body = JSON.stringify([
  { eventId: 1, subscriptionId: 12345, portalId: 62515, occurredAt: 1564113600000, subscriptionType: 'contact.creation', attemptNumber: 0, objectId: 123, changeSource: 'CRM', changeFlag: 'NEW', appId: 54321 },
])
const opts = hubspot.options.parse({ secrets: [clientSecret] })

const sdkV3 = (requestBody: string, timestamp: number, requestUrl = url, secret = clientSecret) =>
  Signature.getSignature('POST', 'v3', { signature: '', clientSecret: secret, requestBody, url: requestUrl, timestamp })

const request = (headers: Record<string, string>, payload = body, requestUrl = url, method = 'POST') =>
  createRawRequest({ method, url: requestUrl, headers: { 'content-type': 'application/json', ...headers }, body: payload })

const v3Request = (now: Date, payload = body, secret = clientSecret, requestUrl = url, signedUrl = requestUrl) =>
  request(
    { 'x-hubspot-request-timestamp': String(now.getTime()), 'x-hubspot-signature-v3': sdkV3(payload, now.getTime(), signedUrl, secret) },
    payload,
    requestUrl,
  )

describe('hubspot', () => {
  it('accepts a v3 request that @hubspot/api-client validates', async () => {
    const now = new Date()
    const signature = sdkV3(body, now.getTime())
    expect(Signature.isValid({ signatureVersion: 'v3', signature, clientSecret, requestBody: body, url, method: 'POST', timestamp: now.getTime() })).toBe(true)
    expect(await hubspot.verify(v3Request(now), opts, now)).toEqual({ ok: true })
  })

  it('produces v3 signatures that @hubspot/api-client validates', async () => {
    const now = new Date()
    const draft = await hubspot.sign!({ ...hubspot.sample!(), url }, opts, now)
    const valid = Signature.isValid({
      signatureVersion: 'v3',
      signature: draft.headers['x-hubspot-signature-v3']!,
      clientSecret,
      requestBody: draft.body,
      url,
      method: 'POST',
      timestamp: Number(draft.headers['x-hubspot-request-timestamp']),
    })
    expect(valid).toBe(true)
    expect(await hubspot.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('produces the legacy v1 signature alongside, which @hubspot/api-client validates', async () => {
    const draft = await hubspot.sign!({ ...hubspot.sample!(), url }, opts, new Date())
    expect(draft.headers['x-hubspot-signature-version']).toBe('v1')
    expect(Signature.isValid({ signature: draft.headers['x-hubspot-signature']!, clientSecret, requestBody: draft.body })).toBe(true)
  })

  it('decodes the escapes HubSpot lists before checking a v3 URL', async () => {
    const now = new Date()
    const received = 'https://www.example.com/webhook_uri?next=https%3A%2F%2Fexample.org%2Fa%40b%28c%29&x=%2a'
    const decoded = 'https://www.example.com/webhook_uri?next=https://example.org/a@b(c)&x=*'
    expect(await hubspot.verify(v3Request(now, body, clientSecret, received, decoded), opts, now)).toEqual({ ok: true })
  })

  it('rejects a v3 request signed for another URL, naming the URL it checked', async () => {
    const now = new Date()
    const verdict = await hubspot.verify(v3Request(now, body, clientSecret, url, 'https://www.example.com/other'), opts, now)
    expect(verdict).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(!verdict.ok && verdict.hint).toContain(url)
  })

  it('rejects a tampered body', async () => {
    const now = new Date()
    const req = request({ 'x-hubspot-request-timestamp': String(now.getTime()), 'x-hubspot-signature-v3': sdkV3(body, now.getTime()) }, body + ' ')
    expect(await hubspot.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a request signed with another client secret', async () => {
    const now = new Date()
    expect(await hubspot.verify(v3Request(now, body, 'another secret'), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a timestamp older than 5 minutes, as @hubspot/api-client does', async () => {
    const signedAt = new Date(Date.now() - 301_000)
    const signature = sdkV3(body, signedAt.getTime())
    expect(() => Signature.isValid({ signatureVersion: 'v3', signature, clientSecret, requestBody: body, url, method: 'POST', timestamp: signedAt.getTime() })).toThrow(/Timestamp/)
    expect(await hubspot.verify(v3Request(signedAt), opts, new Date())).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('accepts the second of two rotated client secrets', async () => {
    const now = new Date()
    const rotated = hubspot.options.parse({ secrets: ['old secret', clientSecret] })
    expect(await hubspot.verify(v3Request(now), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing v3 signature, pointing at signatureVersion', async () => {
    const verdict = await hubspot.verify(request({ 'x-hubspot-request-timestamp': String(Date.now()) }), opts, new Date())
    expect(verdict).toMatchObject({ ok: false, reason: 'missing-signature' })
    expect(!verdict.ok && verdict.hint).toContain('signatureVersion')
  })

  it('rejects a missing timestamp', async () => {
    const verdict = await hubspot.verify(request({ 'x-hubspot-signature-v3': sdkV3(body, Date.now()) }), opts, new Date())
    expect(verdict).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it.each([
    ['empty signature', { 'x-hubspot-signature-v3': '' }],
    ['hex signature', { 'x-hubspot-signature-v3': 'a'.repeat(64) }],
    ['short signature', { 'x-hubspot-signature-v3': Buffer.alloc(20).toString('base64') }],
    ['not base64', { 'x-hubspot-signature-v3': '#'.repeat(44) }],
    ['timestamp in seconds', { 'x-hubspot-request-timestamp': String(Math.floor(Date.now() / 1000)) }],
    ['non-numeric timestamp', { 'x-hubspot-request-timestamp': 'now' }],
    ['absurd timestamp', { 'x-hubspot-request-timestamp': '9'.repeat(16) }],
    ['overlong timestamp', { 'x-hubspot-request-timestamp': '9'.repeat(400) }],
  ])('rejects a malformed v3 request (%s) without throwing', async (_, headers) => {
    const now = new Date()
    const good = { 'x-hubspot-request-timestamp': String(now.getTime()), 'x-hubspot-signature-v3': sdkV3(body, now.getTime()) }
    const verdict = await hubspot.verify(request({ ...good, ...headers }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  // https://developers.hubspot.com/docs/faq/v1-request-validation — published example hash.
  it('accepts the documented v1 example when signatureVersion is v1', async () => {
    const v1 = hubspot.options.parse({ secrets: [clientSecret], signatureVersion: 'v1' })
    const signature = '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de'
    const req = request({ 'x-hubspot-signature': signature, 'x-hubspot-signature-version': 'v1' })
    expect(await hubspot.verify(req, v1, new Date())).toEqual({ ok: true })
    expect(await hubspot.verify(request({ 'x-hubspot-signature': signature }, body + ' '), v1, new Date())).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  // https://developers.hubspot.com/docs/faq/v2-request-validation — published example hash for a POST.
  it('accepts the documented v2 example when signatureVersion is v2', async () => {
    const v2 = hubspot.options.parse({ secrets: [clientSecret], signatureVersion: 'v2' })
    const signature = '9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900'
    const req = request({ 'x-hubspot-signature': signature, 'x-hubspot-signature-version': 'v2' }, '{"example_field":"example_value"}')
    expect(await hubspot.verify(req, v2, new Date())).toEqual({ ok: true })
    const draft = await hubspot.sign!({ ...hubspot.sample!(), url }, v2, new Date())
    expect(Signature.isValid({ signatureVersion: 'v2', signature: draft.headers['x-hubspot-signature']!, clientSecret, requestBody: draft.body, url, method: 'POST' })).toBe(true)
  })

  it('rejects a legacy signature whose version header differs from signatureVersion', async () => {
    const v2 = hubspot.options.parse({ secrets: [clientSecret], signatureVersion: 'v2' })
    const req = request({ 'x-hubspot-signature': '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de', 'x-hubspot-signature-version': 'v1' })
    expect(await hubspot.verify(req, v2, new Date())).toMatchObject({ ok: false, reason: 'malformed-signature' })
  })

  it('describes a single event by portal, subscription, event id and time', () => {
    expect(hubspot.describe(request({}))).toEqual({ deliveryId: '62515:12345:1:1564113600000', type: 'contact.creation', occurredAt: new Date(1564113600000) })
  })

  it('describes a batch by a hash of its events that ignores attemptNumber and order', () => {
    const events = [
      { eventId: 1, subscriptionId: 1, portalId: 9, occurredAt: 1564113600000, subscriptionType: 'deal.creation', attemptNumber: 0 },
      { eventId: 2, subscriptionId: 1, portalId: 9, occurredAt: 1564113600001, subscriptionType: 'deal.creation', attemptNumber: 0 },
    ]
    const retried = [...events].reverse().map((e) => ({ ...e, attemptNumber: 1 }))
    const first = hubspot.describe(request({}, JSON.stringify(events)))
    expect(first.deliveryId).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(hubspot.describe(request({}, JSON.stringify(retried))).deliveryId).toBe(first.deliveryId)
  })

  it('describes a body that is not JSON as nothing, without throwing', () => {
    expect(hubspot.describe(request({}, '[{'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
