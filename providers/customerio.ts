import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import {
  defineProvider,
  jsonDraft,
  pick,
  secretsOption,
  signTimestampedHmac,
  str,
  toDate,
  toleranceOption,
  verifyTimestampedHmac,
  withHeaders,
  type TimestampedHmacScheme,
} from './kit.ts'

// https://docs.customer.io/api/webhooks/#section/Securely-Verifying-Requests
const DOCS = 'https://docs.customer.io/api/webhooks/#section/Securely-Verifying-Requests'

/** Customer.io documents no window for X-CIO-Timestamp; five minutes, as for the `v0:` scheme it shares with Slack. */
const TOLERANCE_SECONDS = 5 * 60

// Reporting webhooks: X-CIO-Signature = hex HMAC-SHA256(signing key, `v0:${X-CIO-Timestamp}:${body}`).
const SCHEME: TimestampedHmacScheme = {
  header: 'x-cio-signature',
  algorithm: 'sha256',
  encoding: 'hex',
  timestampHeader: 'x-cio-timestamp',
  signedPayload: (timestamp, _seconds, body) => ['v0:', timestamp, ':', body],
  hints: {
    'missing-signature': 'expected X-CIO-Signature',
    'missing-timestamp': 'expected X-CIO-Timestamp',
    'malformed-timestamp': 'X-CIO-Timestamp should be seconds since the epoch',
    mismatch: 'is the secret the reporting webhook\'s signing key, and is the raw body signed unchanged?',
  },
}

/** Crockford base32, the alphabet of Customer.io's ULID event ids. */
const ULID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

export const customerio = defineProvider({
  name: 'customerio',
  title: 'Customer.io',
  docs: DOCS,
  options: z.object({
    secrets: secretsOption,
    /** Accepted distance between X-CIO-Timestamp and now, in seconds (default: 300). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify: (req, { secrets, toleranceSeconds }, now) => verifyTimestampedHmac(req, secrets, SCHEME, now, toleranceSeconds),

  describe(req) {
    const body = req.json()
    const objectType = str(pick(body, 'object_type'))
    const metric = str(pick(body, 'metric'))
    return {
      deliveryId: str(pick(body, 'event_id')),
      // `email.opened`: a metric means something only for its object type (email, push, sms, webhook, customer…).
      type: objectType && metric ? `${objectType}.${metric}` : metric,
      occurredAt: toDate(pick(body, 'timestamp')),
    }
  },

  sample(type = 'email.sent') {
    const [objectType = 'email', metric = 'sent'] = type.includes('.') ? type.split('.') : ['email', type]
    const eventId = '01' + Array.from(randomBytes(24), (b) => ULID_ALPHABET[b % 32]).join('')
    return jsonDraft(
      {
        data: {
          action_id: 36,
          broadcast_id: 9,
          customer_id: '0',
          delivery_id: 'RMehBAAAAXE7r_ONUGXly9DBGkpq1JS31w==',
          identifiers: { id: '0' },
          recipient: 'test@example.com',
          subject: 'Thanks for signing up!',
        },
        event_id: eventId,
        metric,
        object_type: objectType,
        timestamp: Math.floor(Date.now() / 1000),
      },
      {},
      'http://localhost:8787/webhooks/customerio',
    )
  },

  sign: (draft, { secrets }, now) => withHeaders(draft, signTimestampedHmac(SCHEME, secrets[0]!, String(Math.floor(now.getTime() / 1000)), draft.body)),
})
