import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { facebook, instagram, meta, whatsapp } from '../../providers/meta.ts'

// Meta ships no Node verifier, so signatures are computed independently from the documented recipe
// (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads):
// X-Hub-Signature-256 = 'sha256=' + hex(HMAC-SHA256(app secret, payload as sent)).
const documentedSignature = (secret: string, body: string) => 'sha256=' + createHmac('sha256', secret).update(body).digest('hex')

const appSecret = 'e8b0d0c9b1e8d0f4c7a1b2c3d4e5f6a7'
const opts = meta.options.parse({ secrets: [appSecret], verifyToken: 'meatyhamhock' })
const now = new Date()
// As Meta sends it: non-ASCII escaped ("Bj\u00f6rk"), the bytes the signature covers.
const body =
  '{"object":"page","entry":[{"id":"0","time":1714564800,"changes":[{"field":"feed","value":{"item":"status","verb":"add","message":"Bj\\u00f6rk \\ud83d\\ude00"}}]}]}'

const request = (headers: Record<string, string>, payload = body, method = 'POST', url = 'https://example.com/webhooks/meta') =>
  createRawRequest({ method, url, headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('meta', () => {
  it('accepts a delivery signed over the escaped payload as sent', async () => {
    expect(await meta.verify(request({ 'x-hub-signature-256': documentedSignature(appSecret, body) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the documented recipe', async () => {
    const draft = await meta.sign!(meta.sample!(), opts, now)
    expect(draft.headers['x-hub-signature-256']).toBe(documentedSignature(appSecret, draft.body))
    expect(await meta.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects the same payload re-serialised with unescaped characters', async () => {
    const reserialised = JSON.stringify(JSON.parse(body))
    expect(reserialised).not.toBe(body)
    expect(await meta.verify(request({ 'x-hub-signature-256': documentedSignature(appSecret, body) }, reserialised), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a tampered body', async () => {
    expect(await meta.verify(request({ 'x-hub-signature-256': documentedSignature(appSecret, body) }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another app secret', async () => {
    expect(await meta.verify(request({ 'x-hub-signature-256': documentedSignature('another secret', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated app secrets', async () => {
    const rotated = meta.options.parse({ secrets: ['old secret', appSecret] })
    expect(await meta.verify(request({ 'x-hub-signature-256': documentedSignature(appSecret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header, including the legacy sha1 one alone', async () => {
    const sha1 = 'sha1=' + createHmac('sha1', appSecret).update(body).digest('hex')
    expect(await meta.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
    expect(await meta.verify(request({ 'x-hub-signature': sha1 }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'sha256=', 'sha1=' + 'a'.repeat(40), 'sha256=' + 'a'.repeat(63), 'sha256=' + 'x'.repeat(64), 'a'.repeat(64), 'sha256=' + 'a'.repeat(100_000)])(
    'rejects the malformed header %j without throwing',
    async (header) => {
      const verdict = await meta.verify(request(header === '' ? {} : { 'x-hub-signature-256': header }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('answers a verification request with the challenge when the verify token matches', async () => {
    const req = request({}, '', 'GET', 'https://example.com/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock')
    expect(await meta.challenge!(req, opts, now)).toEqual({ status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '1158201444' })
  })

  it.each([
    ['a wrong verify token', 'hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong', 'bad-token'],
    ['no verify token', 'hub.mode=subscribe&hub.challenge=1158201444', 'missing-token'],
    ['another mode', 'hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock', 'bad-request'],
    ['no challenge', 'hub.mode=subscribe&hub.verify_token=meatyhamhock', 'bad-request'],
  ])('refuses a verification request with %s', async (_, query, reason) => {
    const req = request({}, '', 'GET', `https://example.com/webhooks/meta?${query}`)
    expect(await meta.challenge!(req, opts, now)).toMatchObject({ ok: false, reason })
  })

  it('refuses every verification request when no verify token is configured', async () => {
    const req = request({}, '', 'GET', 'https://example.com/webhooks/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=meatyhamhock')
    expect(await meta.challenge!(req, meta.options.parse({ secrets: [appSecret] }), now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('does not treat a POST or a bare GET as a handshake', async () => {
    expect(await meta.challenge!(request({}), opts, now)).toBeUndefined()
    expect(await meta.challenge!(request({}, '', 'GET'), opts, now)).toBeUndefined()
  })

  it('redacts the verify token from stored queries', () => {
    expect(meta.redact!(opts)).toEqual({ query: ['hub.verify_token'] })
  })

  it('describes the object and field, the entry time and a body-hash delivery id', () => {
    const expectedId = 'sha256:' + createHash('sha256').update(body).digest('hex')
    expect(meta.describe(request({}))).toEqual({ deliveryId: expectedId, type: 'page.feed', occurredAt: new Date(1714564800 * 1000) })
  })

  it('describes Messenger deliveries as object.messaging', () => {
    const messenger = JSON.stringify({ object: 'page', entry: [{ id: '1', time: 1714564800123, messaging: [{ sender: { id: '2' }, message: { mid: 'm_1', text: 'hi' } }] }] })
    expect(meta.describe(request({}, messenger))).toMatchObject({ type: 'page.messaging', occurredAt: new Date(1714564800123) })
  })

  it('describes a body that is not JSON without throwing', () => {
    expect(meta.describe(request({}, 'garbage'))).toMatchObject({ type: undefined, occurredAt: undefined })
  })

  it.each([
    ['facebook', facebook, 'page.feed'],
    ['instagram', instagram, 'instagram.comments'],
    ['whatsapp', whatsapp, 'whatsapp_business_account.messages'],
  ])('offers the same scheme under the alias %s', async (name, alias, type) => {
    expect(alias.name).toBe(name)
    const draft = await alias.sign!(alias.sample!(), opts, now)
    expect(draft.url).toBe(`http://localhost:8787/webhooks/${name}`)
    expect(await alias.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
    expect(alias.describe(draftToRawRequest(draft)).type).toBe(type)
  })
})
