import { randomUUID } from 'node:crypto'
import nacl from 'tweetnacl'
import { z } from 'zod'
import { accept, checkTimestamp, decodeDigest, defineProvider, describeJson, ed25519SecretKey, jsonDraft, parseIntStrict, reject, toleranceOption, withHeaders } from './kit.ts'

/** The window the telnyx SDK enforces on telnyx-timestamp (TelnyxWebhook.verify). */
const TOLERANCE_SECONDS = 5 * 60

const isPublicKey = (key: string) => /^[A-Za-z0-9+/]{43}=$/.test(key)

// https://developers.telnyx.com/docs/development/api-fundamentals/webhooks
export const telnyx = defineProvider({
  name: 'telnyx',
  title: 'Telnyx',
  docs: 'https://developers.telnyx.com/docs/development/api-fundamentals/webhooks',
  options: z.object({
    /** The account's public key (base64), from Mission Control > Account Settings > Keys & Credentials > Public Key. */
    publicKey: z.string().refine(isPublicKey, 'expected the base64 Ed25519 public key from Mission Control (44 characters)'),
    /** Accepted clock difference for telnyx-timestamp, in seconds (default: 300, as the Telnyx SDK). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
    /** Test-only: the Ed25519 private key (base64 seed or 64-byte secret key) `sign` uses. */
    privateKey: z.string().optional(),
  }),

  verify(req, { publicKey, toleranceSeconds }, now) {
    const header = req.headers.get('telnyx-signature-ed25519')
    const timestamp = req.headers.get('telnyx-timestamp')
    if (!header) return reject('missing-signature', 'expected telnyx-signature-ed25519')
    if (!timestamp) return reject('missing-timestamp', 'expected telnyx-timestamp')
    const signature = decodeDigest(header.trim(), 'base64')
    if (signature?.length !== nacl.sign.signatureLength) return reject('malformed-signature', 'telnyx-signature-ed25519 should hold a base64 Ed25519 signature (64 bytes)')
    const seconds = parseIntStrict(timestamp)
    if (Number.isNaN(seconds)) return reject('malformed-timestamp', 'telnyx-timestamp should be seconds since the epoch')
    // Telnyx signs "<telnyx-timestamp>|<raw body>".
    const message = Buffer.concat([Buffer.from(`${timestamp}|`), req.body])
    if (!nacl.sign.detached.verify(message, signature, Buffer.from(publicKey, 'base64')))
      return reject('mismatch', 'the signature does not verify under the configured publicKey; is it the account Public Key from Mission Control, and is the raw body signed?')
    return checkTimestamp(seconds, now, toleranceSeconds) ?? accept
  },

  describe: describeJson({ id: 'data.id', type: 'data.event_type', time: 'data.occurred_at' }),

  sample(type = 'message.received') {
    return jsonDraft(
      {
        data: {
          event_type: type,
          id: randomUUID(),
          occurred_at: new Date().toISOString().replace('Z', '+00:00'),
          payload: {
            id: randomUUID(),
            record_type: 'message',
            direction: 'inbound',
            type: 'SMS',
            messaging_profile_id: '740572b6-099c-44a1-89b9-6c92163bc68d',
            from: { phone_number: '+13125550001', carrier: 'T-Mobile USA', line_type: 'long_code' },
            to: [{ phone_number: '+17735550002', status: 'webhook_delivered', carrier: 'Telnyx', line_type: 'Wireless' }],
            text: 'Hello from Telnyx!',
            encoding: 'GSM-7',
            parts: 1,
            received_at: new Date().toISOString(),
          },
          record_type: 'event',
        },
        meta: { attempt: 1, delivered_to: 'http://localhost:8787/webhooks/telnyx' },
      },
      { 'user-agent': 'telnyx-webhooks' },
      'http://localhost:8787/webhooks/telnyx',
    )
  },

  sign(draft, { privateKey }, now) {
    if (!privateKey) throw new Error('telnyx: sign needs the test-only `privateKey` option (Ed25519 seed or secret key, base64)')
    const timestamp = String(Math.floor(now.getTime() / 1000))
    const signature = nacl.sign.detached(Buffer.from(`${timestamp}|${draft.body}`), ed25519SecretKey(Buffer.from(privateKey, 'base64')))
    return withHeaders(draft, { 'telnyx-signature-ed25519': Buffer.from(signature).toString('base64'), 'telnyx-timestamp': timestamp })
  },
})
