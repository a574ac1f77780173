import { generateKeyPairSync, sign as rsaSign, verify as rsaVerify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { paddleClassic } from '../../providers/paddle-classic.ts'

// Paddle Classic ships no Node verifier. Its documented scheme (https://classic.paddle.com/webhooks/verifying-webhooks/):
// drop p_signature, ksort the fields, PHP-serialize them, verify RSA-SHA1 with the vendor public key.
// The serialized string below is written out by hand from PHP's format, and signed with node:crypto.
const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
const vendorKeys = pair()
const otherKeys = pair()
const opts = paddleClassic.options.parse({ publicKey: vendorKeys.publicKey, privateKey: vendorKeys.privateKey })
const now = new Date()

const fields = { alert_name: 'payment_succeeded', passthrough: '{"n":"é"}', alert_id: '123', balance_currency: 'USD' }
const serialized = 'a:4:{s:8:"alert_id";s:3:"123";s:10:"alert_name";s:17:"payment_succeeded";s:16:"balance_currency";s:3:"USD";s:11:"passthrough";s:10:"{"n":"é"}";}'
const signWith = (privateKey: string, data = serialized) => rsaSign('sha1', Buffer.from(data), privateKey).toString('base64')

const request = (extra: Record<string, string>, base: Record<string, string> = fields) =>
  createRawRequest({ url: 'http://localhost/webhooks/paddle-classic', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...base, ...extra }).toString() })

describe('paddle-classic', () => {
  it('accepts fields signed over their hand-written PHP serialization', async () => {
    expect(await paddleClassic.verify(request({ p_signature: signWith(vendorKeys.privateKey) }), opts, now)).toEqual({ ok: true })
  })

  it('produces a p_signature that node:crypto verifies over the PHP serialization', async () => {
    const draft = await paddleClassic.sign!({ method: 'POST', url: 'http://localhost/webhooks/paddle-classic', headers: {}, body: new URLSearchParams(fields).toString() }, opts, now)
    const signature = new URLSearchParams(draft.body).get('p_signature')!
    expect(rsaVerify('sha1', Buffer.from(serialized), vendorKeys.publicKey, Buffer.from(signature, 'base64'))).toBe(true)
  })

  it('round-trips its own sample', async () => {
    const draft = await paddleClassic.sign!(paddleClassic.sample!('subscription_payment_succeeded'), opts, now)
    expect(await paddleClassic.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered field', async () => {
    expect(await paddleClassic.verify(request({ alert_name: 'payment_refunded', p_signature: signWith(vendorKeys.privateKey) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects an added field', async () => {
    expect(await paddleClassic.verify(request({ coupon: 'FREE', p_signature: signWith(vendorKeys.privateKey) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects fields signed with another key', async () => {
    expect(await paddleClassic.verify(request({ p_signature: signWith(otherKeys.privateKey) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a missing p_signature', async () => {
    expect(await paddleClassic.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'not base64!', 'AAAA', 'A'.repeat(5000), Buffer.alloc(256).toString('base64'), signWith(vendorKeys.privateKey).slice(10)])(
    'rejects the malformed p_signature %j without throwing',
    async (signature) => {
      expect((await paddleClassic.verify(request(signature === '' ? {} : { p_signature: signature }), opts, now)).ok).toBe(false)
    },
  )

  it('refuses a publicKey that is not a PEM key', () => {
    expect(paddleClassic.options.safeParse({ publicKey: 'MIIB' }).success).toBe(false)
  })

  it('describes the alert id, alert name and event time', () => {
    const req = request({ event_time: '2024-05-14 10:12:33' })
    expect(paddleClassic.describe(req)).toEqual({ deliveryId: '123', type: 'payment_succeeded', occurredAt: new Date('2024-05-14T10:12:33Z') })
  })

  it('describes a JSON body without throwing', () => {
    expect(paddleClassic.describe(createRawRequest({ url: 'http://localhost/', body: '{"event_type":"x"}' }))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
