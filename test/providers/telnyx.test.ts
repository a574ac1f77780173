import Telnyx from 'telnyx'
import nacl from 'tweetnacl'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest, type RequestDraft } from '../../providers/kit.ts'
import { telnyx } from '../../providers/telnyx.ts'

// The telnyx SDK can only verify (webhooks.unwrap, with its own 300 s window on the wall clock), so
// both directions are proven: unwrap accepts what sign() produces, and verify() accepts a request,
// signed independently with tweetnacl, that unwrap accepts. The key pair is generated here.
const keys = nacl.sign.keyPair()
const otherKeys = nacl.sign.keyPair()
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
const publicKey = b64(keys.publicKey)
const opts = telnyx.options.parse({ publicKey, privateKey: b64(keys.secretKey) })
const sdk = new Telnyx({ apiKey: 'KEY_TEST', publicKey })
const now = new Date()
const timestamp = String(Math.floor(now.getTime() / 1000))

const body = JSON.stringify({
  data: { event_type: 'message.received', id: 'b301ed3f-1490-491f-995f-6e64e69674d4', occurred_at: '2019-12-09T20:16:07.588+00:00', payload: { text: 'Hello' }, record_type: 'event' },
  meta: { attempt: 1, delivered_to: 'https://example.com/webhooks' },
})
const signWith = (secretKey: Uint8Array, data = body, ts = timestamp) => b64(nacl.sign.detached(Buffer.from(`${ts}|${data}`), secretKey))
const headersFor = (data = body) => ({ 'telnyx-signature-ed25519': signWith(keys.secretKey, data), 'telnyx-timestamp': timestamp })
const request = (headers: Record<string, string>, data = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/telnyx', headers: { 'content-type': 'application/json', ...headers }, body: data })
const sdkAccepts = async (draft: Pick<RequestDraft, 'body' | 'headers'>) =>
  sdk.webhooks.unwrap(draft.body, { headers: draft.headers }).then(
    () => true,
    () => false,
  )

describe('telnyx', () => {
  it('accepts a delivery that the telnyx SDK unwrap accepts', async () => {
    const headers = headersFor()
    expect(await sdkAccepts({ body, headers })).toBe(true)
    expect(await telnyx.verify(request(headers), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that the telnyx SDK unwrap accepts', async () => {
    const draft = await telnyx.sign!(telnyx.sample!('message.finalized'), opts, now)
    expect(await sdkAccepts(draft)).toBe(true)
    expect(await telnyx.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await telnyx.verify(request(headersFor(), body.replace('Hello', 'Hi')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another key', async () => {
    const headers = { 'telnyx-signature-ed25519': signWith(otherKeys.secretKey), 'telnyx-timestamp': timestamp }
    expect(await telnyx.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery whose signed timestamp is older than 300 s', async () => {
    const later = new Date(now.getTime() + 301 * 1000)
    expect(await telnyx.verify(request(headersFor()), opts, later)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a timestamp header that differs from the signed one', async () => {
    const headers = { ...headersFor(), 'telnyx-timestamp': String(Number(timestamp) + 1) }
    expect(await telnyx.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects missing signature and timestamp headers', async () => {
    expect(await telnyx.verify(request({ 'telnyx-timestamp': timestamp }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
    expect(await telnyx.verify(request({ 'telnyx-signature-ed25519': signWith(keys.secretKey) }), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it.each([
    ['empty signature', { 'telnyx-signature-ed25519': '', 'telnyx-timestamp': timestamp }],
    ['short signature', { 'telnyx-signature-ed25519': 'AAAA', 'telnyx-timestamp': timestamp }],
    ['hex signature', { 'telnyx-signature-ed25519': 'ab'.repeat(64), 'telnyx-timestamp': timestamp }],
    ['garbage signature', { 'telnyx-signature-ed25519': '!!!*&^', 'telnyx-timestamp': timestamp }],
    ['zero signature', { 'telnyx-signature-ed25519': b64(new Uint8Array(64)), 'telnyx-timestamp': timestamp }],
    ['text timestamp', { 'telnyx-signature-ed25519': signWith(keys.secretKey), 'telnyx-timestamp': 'now' }],
    ['absurd timestamp', { 'telnyx-signature-ed25519': signWith(keys.secretKey), 'telnyx-timestamp': '1'.repeat(30) }],
    ['fractional timestamp', { 'telnyx-signature-ed25519': signWith(keys.secretKey), 'telnyx-timestamp': `${timestamp}.5` }],
  ])('rejects the malformed headers (%s) without throwing', async (_name, headers) => {
    expect((await telnyx.verify(request(headers), opts, now)).ok).toBe(false)
  })

  it('refuses a publicKey that is not a base64 Ed25519 key', () => {
    expect(telnyx.options.safeParse({ publicKey: 'ab'.repeat(32) }).success).toBe(false)
  })

  it('describes the event id, type and time from the body', () => {
    expect(telnyx.describe(request({}))).toEqual({ deliveryId: 'b301ed3f-1490-491f-995f-6e64e69674d4', type: 'message.received', occurredAt: new Date('2019-12-09T20:16:07.588Z') })
  })

  it('describes a non-JSON body without throwing', () => {
    expect(telnyx.describe(request({}, '\u0000\u0001'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })

  it('refuses to sign without the test-only privateKey', () => {
    expect(() => telnyx.sign!(telnyx.sample!(), telnyx.options.parse({ publicKey }), now)).toThrow(/privateKey/)
  })
})
