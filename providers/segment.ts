import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, jsonDraft, pick, reject, secretsOption, signHmac, str, toDate, triedHint, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://segment.com/docs/connections/destinations/catalog/actions-webhook/
const DOCS = 'https://segment.com/docs/connections/destinations/catalog/actions-webhook/'

const SCHEME: HmacScheme = { header: 'x-signature', algorithm: 'sha1', encoding: 'hex' }

const MISMATCH_HINT = 'is the secret the destination\'s Shared Secret, and is the raw body signed unchanged?'
// Segment signs only the first event of a batch (Twilio support, "How Segment computes x-signature for batched
// webhooks"), so the rest of a batch is unauthenticated: batches are not accepted.
const BATCH_HINT = 'this is a batch, and Segment signs only its first event: disable batching on the Webhooks (Actions) mapping'

export const segment = defineProvider({
  name: 'segment',
  title: 'Segment',
  docs: DOCS,
  options: z.object({ secrets: secretsOption }),
  // Webhooks (Actions) mappings may send with POST, PUT or PATCH.
  methods: ['POST', 'PUT', 'PATCH'],

  // X-Signature: hex HMAC-SHA1(sharedSecret, body).
  verify(req, { secrets }) {
    const verdict = verifyHmacHeader(req, secrets, SCHEME, [req.body], MISMATCH_HINT)
    if (!verdict.ok && verdict.reason === 'mismatch' && Array.isArray(req.json())) return reject('mismatch', triedHint(secrets.length, BATCH_HINT))
    return verdict
  },

  describe(req) {
    const body = req.json()
    const type = str(pick(body, 'type'))
    const event = str(pick(body, 'event'))
    return {
      deliveryId: str(pick(body, 'messageId')),
      // `track:Order Completed`: a track call's meaning is its event name.
      type: type === 'track' && event ? `track:${event}` : type,
      occurredAt: toDate(pick(body, 'timestamp')),
    }
  },

  sample(type = 'track') {
    const at = new Date().toISOString()
    return jsonDraft(
      {
        anonymousId: '23adfd82-aa0f-45a7-a756-24f2a7a4c895',
        context: {
          library: { name: 'analytics.js', version: '2.11.1' },
          page: { path: '/checkout', referrer: '', search: '', title: 'Checkout', url: 'https://example.com/checkout' },
          userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
          ip: '108.0.78.21',
        },
        ...(type === 'track' ? { event: 'Order Completed', properties: { orderId: '50314b8e9bcf000000000000', revenue: 39.95, currency: 'USD' } } : {}),
        ...(type === 'identify' ? { traits: { name: 'Peter Gibbons', email: 'peter@example.com' } } : {}),
        messageId: `ajs-${randomUUID().replaceAll('-', '')}`,
        originalTimestamp: at,
        receivedAt: at,
        sentAt: at,
        timestamp: at,
        type,
        userId: 'user-1234',
        version: 2,
      },
      { 'user-agent': 'Segment.io/1.0' },
      'http://localhost:8787/webhooks/segment',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})
