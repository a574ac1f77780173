import { createPublicKey, randomUUID, sign as ecdsaSign, verify as ecdsaVerify, type KeyObject } from 'node:crypto'
import { z } from 'zod'
import { accept, checkTimestamp, decodeDigest, defineProvider, describeBatch, jsonDraft, parseIntStrict, reject, toleranceOption, withHeaders, RAW_BODY_HINT } from './kit.ts'

// https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
const DOCS = 'https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features'

/**
 * SendGrid signs a timestamp but documents no window, and @sendgrid/eventwebhook checks none; 5 minutes
 * is the common choice (Stripe, Standard Webhooks). Set `toleranceSeconds: 0` to disable.
 */
const TOLERANCE_SECONDS = 5 * 60

const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature'
const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp'

/** The verification key as SendGrid shows it (base64 DER SubjectPublicKeyInfo), or a PEM public key. */
function importPublicKey(text: string): KeyObject | undefined {
  try {
    const pem = text.includes('-----BEGIN')
    return createPublicKey(pem ? text : { key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' })
  } catch {
    return undefined
  }
}

export const sendgrid = defineProvider({
  name: 'sendgrid',
  title: 'SendGrid Event Webhook',
  docs: DOCS,
  options: z.object({
    /** The verification key (Settings → Mail Settings → Event Webhook → Signature verification), base64 as shown, or PEM. */
    publicKey: z.string().refine((key) => importPublicKey(key)?.asymmetricKeyType === 'ec', 'expected the ECDSA verification key shown by SendGrid (base64) or a PEM EC public key'),
    /** Window for X-Twilio-Email-Event-Webhook-Timestamp, in seconds (default: 300; 0 disables). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
    /** Test-only: the PEM private key `sign()` uses. SendGrid keeps the real one; never needed to verify. */
    privateKey: z.string().optional(),
  }),

  verify(req, { publicKey, toleranceSeconds }, now) {
    const signature = req.headers.get(SIGNATURE_HEADER)
    if (!signature) return reject('missing-signature', 'expected X-Twilio-Email-Event-Webhook-Signature; is signed event webhook enabled?')
    const timestamp = req.headers.get(TIMESTAMP_HEADER)
    if (!timestamp) return reject('missing-timestamp', 'expected X-Twilio-Email-Event-Webhook-Timestamp')
    const seconds = parseIntStrict(timestamp)
    if (Number.isNaN(seconds)) return reject('malformed-timestamp', 'X-Twilio-Email-Event-Webhook-Timestamp should be seconds since the epoch')
    const der = decodeDigest(signature.trim(), 'base64')
    // An ECDSA P-256 DER signature is a SEQUENCE of two integers: 8 to 72 bytes.
    if (!der || der.length < 8 || der.length > 72 || der[0] !== 0x30) return reject('malformed-signature', 'the signature should be a base64 DER ECDSA signature')
    const stale = checkTimestamp(seconds, now, toleranceSeconds)
    if (stale) return stale
    const key = importPublicKey(publicKey)
    if (!key) return reject('mismatch', 'publicKey could not be read')
    let ok = false
    try {
      ok = ecdsaVerify('sha256', Buffer.concat([Buffer.from(timestamp), req.body]), { key, dsaEncoding: 'der' }, der)
    } catch {
      ok = false
    }
    return ok ? accept : reject('mismatch', `the signature does not match the configured publicKey; ${RAW_BODY_HINT}`)
  },

  describe: (req) => {
    const events = req.json()
    return describeBatch(req, Array.isArray(events) ? events : undefined, { id: 'sg_event_id', type: ['event'], time: 'timestamp' })
  },

  sample(type = 'delivered') {
    const timestamp = Math.floor(Date.now() / 1000)
    const messageId = randomUUID().replace(/-/g, '').slice(0, 22)
    const event = {
      email: 'example@test.com',
      timestamp,
      'smtp-id': `<${messageId}@ismtpd0001p1iad1.sendgrid.net>`,
      event: type,
      category: ['cat facts'],
      sg_event_id: Buffer.from(`${type}-${randomUUID()}`).toString('base64url'),
      sg_message_id: `${messageId}.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0`,
      ...(type === 'delivered' ? { response: '250 OK' } : {}),
    }
    // SendGrid ends the body, and each event of a batch, with CRLF.
    const draft = jsonDraft([event], { 'user-agent': 'SendGrid Event API' }, 'http://localhost:8787/webhooks/sendgrid')
    return { ...draft, body: draft.body + '\r\n' }
  },

  sign(draft, { privateKey }, now) {
    if (!privateKey) throw new Error('sendgrid.sign needs the test-only `privateKey` option (PEM): SendGrid keeps the real signing key')
    const timestamp = String(Math.floor(now.getTime() / 1000))
    const signature = ecdsaSign('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(draft.body)]), { key: privateKey, dsaEncoding: 'der' })
    return withHeaders(draft, { [SIGNATURE_HEADER]: signature.toString('base64'), [TIMESTAMP_HEADER]: timestamp })
  },
})
