import { Webhook } from 'standardwebhooks'
import nacl from 'tweetnacl'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { standardWebhooks } from '../../providers/standard-webhooks.ts'

// The spec's example secret and message id.
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'
const body = JSON.stringify({ type: 'contact.created', timestamp: '2022-11-03T20:26:10.344522Z', data: { id: '1f81eb52-5198-4599-803e-771906343485' } })
const opts = standardWebhooks.options.parse({ secrets: [secret] })
// The reference SDK checks its own clock, so deliveries it signs or verifies use the real time.
const now = new Date(Math.floor(Date.now() / 1000) * 1000) // whole seconds, like the headers
const seconds = Math.floor(now.getTime() / 1000)

const sdkSign = (options: { key?: string; at?: Date; payload?: string; msgId?: string } = {}) =>
  new Webhook(options.key ?? secret).sign(options.msgId ?? id, options.at ?? now, options.payload ?? body)

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/standard-webhooks', headers: { 'content-type': 'application/json', ...headers }, body: payload })
const signed = (signature = sdkSign(), timestamp = seconds, payload = body) =>
  request({ 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature }, payload)

const keyPair = nacl.sign.keyPair()
const whpk = 'whpk_' + Buffer.from(keyPair.publicKey).toString('base64')
const whsk = 'whsk_' + Buffer.from(keyPair.secretKey).toString('base64')
/** A v1a signature made with tweetnacl directly (the SDK has no v1a). */
const naclSign = (msgId: string, timestamp: number, payload: string, secretKey = keyPair.secretKey) =>
  'v1a,' + Buffer.from(nacl.sign.detached(Buffer.from(`${msgId}.${timestamp}.${payload}`), secretKey)).toString('base64')

describe('standard-webhooks', () => {
  it('accepts a delivery signed by standardwebhooks Webhook.sign', async () => {
    expect(await standardWebhooks.verify(signed(), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that standardwebhooks Webhook.verify accepts', async () => {
    const draft = await standardWebhooks.sign!(standardWebhooks.sample!('contact.updated'), opts, now)
    expect(new Webhook(secret).verify(draft.body, draft.headers)).toMatchObject({ type: 'contact.updated' })
  })

  it('accepts a bare base64 secret without the whsec_ prefix, as the SDK does', async () => {
    const bare = standardWebhooks.options.parse({ secrets: [secret.slice('whsec_'.length)] })
    expect(await standardWebhooks.verify(signed(), bare, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await standardWebhooks.verify(signed(sdkSign(), seconds, body.replace('contact', 'contract')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a tampered message id', async () => {
    const req = request({ 'webhook-id': 'msg_other', 'webhook-timestamp': String(seconds), 'webhook-signature': sdkSign() })
    expect(await standardWebhooks.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    const other = sdkSign({ key: 'whsec_' + Buffer.from('another secret of 24 bytes!').toString('base64') })
    expect(await standardWebhooks.verify(signed(other), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a timestamp more than five minutes old', async () => {
    const old = new Date(now.getTime() - 301_000)
    expect(await standardWebhooks.verify(signed(sdkSign({ at: old }), seconds - 301), opts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a timestamp more than five minutes in the future', async () => {
    const future = new Date(now.getTime() + 301_000)
    expect(await standardWebhooks.verify(signed(sdkSign({ at: future }), seconds + 301), opts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('verifies against the clock it is given, not the system clock', async () => {
    const past = new Date('2023-01-19T00:13:51Z')
    const req = signed(sdkSign({ at: past }), Math.floor(past.getTime() / 1000))
    expect(await standardWebhooks.verify(req, opts, past)).toEqual({ ok: true })
    expect(await standardWebhooks.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = standardWebhooks.options.parse({ secrets: ['whsec_' + Buffer.from('the old secret, retired').toString('base64'), secret] })
    expect(await standardWebhooks.verify(signed(), rotated, now)).toEqual({ ok: true })
  })

  it('accepts a header listing several signatures when any one matches', async () => {
    const signature = `v1,${Buffer.alloc(32).toString('base64')} ${sdkSign()} v2,abc`
    expect(await standardWebhooks.verify(signed(signature), opts, now)).toEqual({ ok: true })
  })

  it('rejects a missing webhook-signature header', async () => {
    expect(await standardWebhooks.verify(request({ 'webhook-id': id, 'webhook-timestamp': String(seconds) }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a missing webhook-timestamp header', async () => {
    expect(await standardWebhooks.verify(request({ 'webhook-id': id, 'webhook-signature': sdkSign() }), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it('rejects a missing webhook-id header', async () => {
    expect(await standardWebhooks.verify(request({ 'webhook-timestamp': String(seconds), 'webhook-signature': sdkSign() }), opts, now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })

  it.each([
    ['empty signature', { 'webhook-signature': '' }],
    ['no version', { 'webhook-signature': sdkSign().slice(3) }],
    ['unknown version', { 'webhook-signature': sdkSign().replace('v1,', 'v2,') }],
    ['hex digest', { 'webhook-signature': 'v1,' + 'a'.repeat(64) }],
    ['short digest', { 'webhook-signature': 'v1,' + Buffer.alloc(31).toString('base64') }],
    ['non-base64 digest', { 'webhook-signature': 'v1,!!!!' }],
    ['v1a of the wrong length', { 'webhook-signature': 'v1a,' + Buffer.alloc(32).toString('base64') }],
    ['only separators', { 'webhook-signature': ' , ,, ' }],
    ['text timestamp', { 'webhook-timestamp': 'yesterday' }],
    ['float timestamp', { 'webhook-timestamp': `${seconds}.0` }],
    ['absurd timestamp', { 'webhook-timestamp': '9'.repeat(40) }],
    ['negative timestamp', { 'webhook-timestamp': '-1' }],
    ['huge signature list', { 'webhook-signature': 'v1,AAAA '.repeat(50_000) }],
  ])('rejects a malformed request (%s) without throwing', async (_, override) => {
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': sdkSign(), ...override }
    const verdict = await standardWebhooks.verify(request(headers), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('accepts a v1a Ed25519 signature made with tweetnacl', async () => {
    const ed = standardWebhooks.options.parse({ publicKey: whpk })
    expect(await standardWebhooks.verify(signed(naclSign(id, seconds, body)), ed, now)).toEqual({ ok: true })
  })

  it('rejects a v1a signature over a tampered body', async () => {
    const ed = standardWebhooks.options.parse({ publicKey: whpk })
    expect(await standardWebhooks.verify(signed(naclSign(id, seconds, body), seconds, body + ' '), ed, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a v1a signature made by another key pair', async () => {
    const ed = standardWebhooks.options.parse({ publicKey: whpk })
    expect(await standardWebhooks.verify(signed(naclSign(id, seconds, body, nacl.sign.keyPair().secretKey)), ed, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts a v1a signature from the second of two public keys', async () => {
    const other = 'whpk_' + Buffer.from(nacl.sign.keyPair().publicKey).toString('base64')
    const ed = standardWebhooks.options.parse({ publicKey: [other, whpk] })
    expect(await standardWebhooks.verify(signed(naclSign(id, seconds, body)), ed, now)).toEqual({ ok: true })
  })

  it('explains a v1 signature when only a public key is configured', async () => {
    const ed = standardWebhooks.options.parse({ publicKey: whpk })
    expect(await standardWebhooks.verify(signed(), ed, now)).toMatchObject({ ok: false, reason: 'mismatch', hint: expect.stringContaining('no secret') })
  })

  it('signs v1a with the test-only privateKey so that tweetnacl verifies it', async () => {
    const ed = standardWebhooks.options.parse({ publicKey: whpk, privateKey: whsk })
    const draft = await standardWebhooks.sign!(standardWebhooks.sample!(), ed, now)
    const [version, signature] = draft.headers['webhook-signature']!.split(',')
    const content = Buffer.from(`${draft.headers['webhook-id']}.${draft.headers['webhook-timestamp']}.${draft.body}`)
    expect(version).toBe('v1a')
    expect(nacl.sign.detached.verify(content, Buffer.from(signature!, 'base64'), keyPair.publicKey)).toBe(true)
    expect(await standardWebhooks.verify(draftToRawRequest(draft), ed, now)).toEqual({ ok: true })
  })

  it('throws a clear error when asked to sign with only a public key', () => {
    const ed = standardWebhooks.options.parse({ publicKey: whpk })
    expect(() => standardWebhooks.sign!(standardWebhooks.sample!(), ed, now)).toThrow(/privateKey/)
  })

  it.each([
    ['no secret and no key', {}],
    ['a secret that is not base64', { secrets: ['whsec_not base64!'] }],
    ['a public key of the wrong length', { publicKey: 'whpk_' + Buffer.alloc(16).toString('base64') }],
  ])('refuses options with %s', (_, input) => {
    expect(standardWebhooks.options.safeParse(input).success).toBe(false)
  })

  it('describes the message id, event type and event time', () => {
    expect(standardWebhooks.describe(signed())).toEqual({ deliveryId: id, type: 'contact.created', occurredAt: new Date('2022-11-03T20:26:10.344Z') })
  })

  it('describes a non-JSON body by its message id alone', () => {
    expect(standardWebhooks.describe(signed(sdkSign(), seconds, '<xml/>'))).toEqual({ deliveryId: id, type: undefined, occurredAt: undefined })
  })
})
