import { createHash, generateKeyPairSync, sign as ecdsaSign } from 'node:crypto'
import { EventWebhook } from '@sendgrid/eventwebhook'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { sendgrid } from '../../providers/sendgrid.ts'

const eventWebhook = new EventWebhook()
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
/** The key as SendGrid's dashboard shows it: base64 of the DER SubjectPublicKeyInfo. */
const publicKeyBase64 = publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
const opts = sendgrid.options.parse({ publicKey: publicKeyBase64, privateKey: privateKeyPem })
const now = new Date()
const timestamp = String(Math.floor(now.getTime() / 1000))
const body = JSON.stringify([{ email: 'example@test.com', timestamp: 1600112492, event: 'processed', sg_event_id: 'cHJvY2Vzc2VkLTE5OTQyMTEy', sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filter' }]) + '\r\n'

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/sendgrid', headers: { 'content-type': 'application/json', ...headers }, body: payload })
/** A signature made with node:crypto, independently of the module. */
const independentSignature = (ts: string, payload = body) => ecdsaSign('sha256', Buffer.from(ts + payload), { key: privateKey, dsaEncoding: 'der' }).toString('base64')
const signed = (ts = timestamp, payload = body) => request({ 'x-twilio-email-event-webhook-signature': independentSignature(ts, payload), 'x-twilio-email-event-webhook-timestamp': ts }, payload)

// The published example of @sendgrid/eventwebhook's own test suite (src/eventwebhook.spec.js, "should verify a valid
// single event signature"): https://github.com/sendgrid/sendgrid-nodejs/blob/main/packages/eventwebhook/src/eventwebhook.spec.js
const EXAMPLE = {
  publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==',
  signature: 'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=',
  timestamp: '1600112502',
  payload:
    JSON.stringify([
      {
        email: 'hello@world.com',
        event: 'dropped',
        reason: 'Bounced Address',
        sg_event_id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
        sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
        'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
        timestamp: 1600112492,
      },
    ]) + '\r\n',
}
const exampleRequest = (payload = EXAMPLE.payload) =>
  request({ 'x-twilio-email-event-webhook-signature': EXAMPLE.signature, 'x-twilio-email-event-webhook-timestamp': EXAMPLE.timestamp }, payload)
const exampleOpts = sendgrid.options.parse({ publicKey: EXAMPLE.publicKey })
const exampleTime = new Date(Number(EXAMPLE.timestamp) * 1000 + 10_000)

describe('sendgrid', () => {
  it('accepts the published example of @sendgrid/eventwebhook', async () => {
    expect(await sendgrid.verify(exampleRequest(), exampleOpts, exampleTime)).toEqual({ ok: true })
  })

  it('rejects the published example with its body altered', async () => {
    expect(await sendgrid.verify(exampleRequest(EXAMPLE.payload.trimEnd()), exampleOpts, exampleTime)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts a delivery that @sendgrid/eventwebhook verifySignature accepts', async () => {
    const signature = independentSignature(timestamp)
    expect(eventWebhook.verifySignature(eventWebhook.convertPublicKeyToECDSA(publicKeyBase64), body, signature, timestamp)).toBe(true)
    expect(await sendgrid.verify(signed(), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that @sendgrid/eventwebhook verifySignature accepts', async () => {
    const draft = await sendgrid.sign!(sendgrid.sample!('open'), opts, now)
    const key = eventWebhook.convertPublicKeyToECDSA(publicKeyBase64)
    expect(eventWebhook.verifySignature(key, draft.body, draft.headers['x-twilio-email-event-webhook-signature']!, draft.headers['x-twilio-email-event-webhook-timestamp']!)).toBe(true)
    expect(await sendgrid.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('accepts the key as a PEM too', async () => {
    const pem = sendgrid.options.parse({ publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString() })
    expect(await sendgrid.verify(signed(), pem, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    const req = request({ 'x-twilio-email-event-webhook-signature': independentSignature(timestamp), 'x-twilio-email-event-webhook-timestamp': timestamp }, body.replace('processed', 'delivered'))
    expect(await sendgrid.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a signature whose timestamp header was changed', async () => {
    const req = request({ 'x-twilio-email-event-webhook-signature': independentSignature(timestamp), 'x-twilio-email-event-webhook-timestamp': String(Number(timestamp) - 1) })
    expect(await sendgrid.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another key', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
    expect(await sendgrid.verify(signed(), sendgrid.options.parse({ publicKey: other }), now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a timestamp outside the default five-minute window', async () => {
    expect(await sendgrid.verify(exampleRequest(), exampleOpts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('accepts an old timestamp when the window is disabled', async () => {
    expect(await sendgrid.verify(exampleRequest(), sendgrid.options.parse({ publicKey: EXAMPLE.publicKey, toleranceSeconds: 0 }), now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await sendgrid.verify(request({ 'x-twilio-email-event-webhook-timestamp': timestamp }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a missing timestamp header', async () => {
    expect(await sendgrid.verify(request({ 'x-twilio-email-event-webhook-signature': independentSignature(timestamp) }), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it.each([
    ['a non-base64 signature', '!!!', timestamp],
    ['a signature that is not DER', Buffer.alloc(64, 1).toString('base64'), timestamp],
    ['a truncated DER signature', 'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10Qy', timestamp],
    ['an over-long signature', Buffer.alloc(200, 0x30).toString('base64'), timestamp],
    ['a DER-looking garbage signature', Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]).toString('base64'), timestamp],
    ['a non-numeric timestamp', EXAMPLE.signature, 'now'],
    ['an absurd timestamp', EXAMPLE.signature, '9'.repeat(40)],
    ['a fractional timestamp', EXAMPLE.signature, '1600112502.5'],
  ])('rejects %s without throwing', async (_label, signature, ts) => {
    const verdict = await sendgrid.verify(request({ 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': ts }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it.each(['', 'not a key', 'MFkwEwYHKoZIzj0CAQYI', generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64')])('refuses the publicKey option %j', (key) => {
    expect(sendgrid.options.safeParse({ publicKey: key }).success).toBe(false)
  })

  it('refuses to sign without the test-only privateKey', () => {
    expect(() => sendgrid.sign!(sendgrid.sample!(), sendgrid.options.parse({ publicKey: publicKeyBase64 }), now)).toThrow(/privateKey/)
  })

  it('describes a single event by sg_event_id, event and timestamp', () => {
    expect(sendgrid.describe(signed())).toEqual({ deliveryId: 'cHJvY2Vzc2VkLTE5OTQyMTEy', type: 'processed', occurredAt: new Date(1600112492 * 1000) })
  })

  it('describes a batch by a hash of its sg_event_ids', () => {
    const batch = [
      { event: 'processed', sg_event_id: 'a', timestamp: 1619651146 },
      { event: 'bounce', sg_event_id: 'b', timestamp: 1619651147 },
    ]
    const described = sendgrid.describe(request({}, JSON.stringify(batch).split('},{').join('},\r\n{') + '\r\n'))
    expect(described).toEqual({ deliveryId: `sha256:${createHash('sha256').update('a\nb').digest('hex')}`, type: 'processed,bounce', occurredAt: new Date(1619651146 * 1000) })
  })

  it('describes garbage without throwing', () => {
    expect(sendgrid.describe(request({}, '{"not": "a batch"'))).toEqual({})
  })
})
