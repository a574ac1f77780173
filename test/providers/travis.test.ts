import { generateKeyPairSync, sign as rsaSign, verify as rsaVerify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { travis } from '../../providers/travis.ts'

// Travis CI ships no SDK: the signature is RSA-SHA1 over the `payload` form field, verified with the
// public key from /config (https://docs.travis-ci.com/user/notifications/#verifying-webhook-requests).
// Both directions are checked against node:crypto with a key pair generated here.
const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
const travisKeys = pair()
const otherKeys = pair()
const opts = travis.options.parse({ publicKey: travisKeys.publicKey, privateKey: travisKeys.privateKey })
const now = new Date()

const payload = JSON.stringify({ id: 1234, number: '7', type: 'push', state: 'passed', started_at: '2024-05-14T09:12:03Z', finished_at: '2024-05-14T09:14:41Z' })
const signWith = (privateKey: string, data = payload) => rsaSign('sha1', Buffer.from(data), privateKey).toString('base64')

const request = (headers: Record<string, string>, data = payload) =>
  createRawRequest({
    url: 'http://localhost/webhooks/travis',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'travis-repo-slug': 'svenfuchs/minimal', ...headers },
    body: new URLSearchParams({ payload: data }).toString(),
  })

describe('travis', () => {
  it('accepts a payload signed with the Travis private key by node:crypto', async () => {
    expect(await travis.verify(request({ signature: signWith(travisKeys.privateKey) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that node:crypto verifies with the public key', async () => {
    const draft = await travis.sign!(travis.sample!('push'), opts, now)
    const signed = new URLSearchParams(draft.body).get('payload')!
    expect(rsaVerify('sha1', Buffer.from(signed), travisKeys.publicKey, Buffer.from(draft.headers.signature!, 'base64'))).toBe(true)
    expect(await travis.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered payload', async () => {
    const tampered = payload.replace('passed', 'failed')
    expect(await travis.verify(request({ signature: signWith(travisKeys.privateKey) }, tampered), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a payload signed with another key', async () => {
    expect(await travis.verify(request({ signature: signWith(otherKeys.privateKey) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two configured public keys', async () => {
    const rotated = travis.options.parse({ publicKey: [otherKeys.publicKey, travisKeys.publicKey] })
    expect(await travis.verify(request({ signature: signWith(travisKeys.privateKey) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing Signature header', async () => {
    expect(await travis.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a body without a payload field', async () => {
    const req = createRawRequest({ url: 'http://localhost/webhooks/travis', headers: { signature: signWith(travisKeys.privateKey) }, body: payload })
    expect(await travis.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })

  it.each(['', 'not base64!', 'AAAA', '%%%', 'A'.repeat(5000), Buffer.alloc(256).toString('base64'), signWith(travisKeys.privateKey).slice(0, -8)])(
    'rejects the malformed signature %j without throwing',
    async (signature) => {
      const verdict = await travis.verify(request(signature === '' ? {} : { signature }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('refuses a publicKey that is not a PEM key', () => {
    expect(travis.options.safeParse({ publicKey: 'not a key' }).success).toBe(false)
  })

  it('describes the build id and state, event type and finish time from the payload', () => {
    expect(travis.describe(request({}))).toEqual({ deliveryId: '1234:passed:2024-05-14T09:14:41.000Z', type: 'push', occurredAt: new Date('2024-05-14T09:14:41Z') })
  })

  it('describes garbage bodies without throwing', () => {
    const req = createRawRequest({ url: 'http://localhost/webhooks/travis', body: 'payload=%7Bnot json' })
    expect(travis.describe(req)).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })

  it('refuses to sign without the test-only privateKey', () => {
    expect(() => travis.sign!(travis.sample!(), travis.options.parse({ publicKey: travisKeys.publicKey }), now)).toThrow(/privateKey/)
  })
})
