import { randomUUID } from 'node:crypto'
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

// https://developer.zendesk.com/documentation/webhooks/verifying/
const DOCS = 'https://developer.zendesk.com/documentation/webhooks/verifying/'

/**
 * Zendesk documents no window for X-Zendesk-Webhook-Signature-Timestamp (only that the signature "helps prevent
 * replay attacks"); five minutes is the usual replay bound.
 */
const TOLERANCE_SECONDS = 5 * 60

/** ISO 8601 in UTC or with an offset, e.g. `2021-07-25T10:00:00Z` (what Zendesk sends). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/

// base64(HMAC-SHA256(secret, TIMESTAMP + BODY)): the timestamp header's exact text, then the raw body.
const SCHEME: TimestampedHmacScheme = {
  header: 'x-zendesk-webhook-signature',
  algorithm: 'sha256',
  encoding: 'base64',
  timestampHeader: 'x-zendesk-webhook-signature-timestamp',
  toSeconds: (timestamp) => (ISO_8601.test(timestamp) ? Date.parse(timestamp) : NaN) / 1000,
  signedPayload: (timestamp, _seconds, body) => [timestamp, body],
  hints: {
    'missing-signature': 'expected X-Zendesk-Webhook-Signature',
    'missing-timestamp': 'expected X-Zendesk-Webhook-Signature-Timestamp',
    'malformed-timestamp': 'X-Zendesk-Webhook-Signature-Timestamp should be an ISO 8601 time such as 2021-07-25T10:00:00Z',
    mismatch:
      'is the secret the webhook\'s signing secret (a "Test webhook" sent before the webhook is saved is signed with Zendesk\'s fixed test secret), and is the raw body signed unchanged?',
  },
}

export const zendesk = defineProvider({
  name: 'zendesk',
  title: 'Zendesk',
  docs: DOCS,
  options: z.object({
    secrets: secretsOption,
    /** Accepted distance between X-Zendesk-Webhook-Signature-Timestamp and now, in seconds (default: 300). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),
  // A webhook's http_method may be any of these; GET and DELETE requests sign an empty body.
  methods: ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'],

  verify: (req, { secrets, toleranceSeconds }, now) => verifyTimestampedHmac(req, secrets, SCHEME, now, toleranceSeconds),

  // Event-subscription webhooks carry `id`, `type` and `time`; trigger/automation webhooks carry whatever body was
  // configured, so the invocation id header is the delivery id (it stays the same when Zendesk retries).
  describe(req) {
    const body = req.json()
    return {
      deliveryId: req.headers.get('x-zendesk-webhook-invocation-id') ?? str(pick(body, 'id')),
      type: str(pick(body, 'type')),
      occurredAt: toDate(pick(body, 'time')),
    }
  },

  sample(type = 'zen:event-type:ticket.created') {
    const time = new Date().toISOString()
    return jsonDraft(
      {
        account_id: 22129848,
        detail: {
          actor_id: '8678530',
          assignee_id: '469',
          brand_id: '123',
          created_at: time,
          description: 'ticket description',
          external_id: null,
          form_id: '1',
          group_id: '1234',
          id: '35436',
          organization_id: '22222',
          priority: 'LOW',
          requester_id: '3454',
          status: 'OPEN',
          subject: 'Help, my printer is on fire!',
          submitter_id: '3454',
          tags: ['enterprise'],
          type: 'TASK',
          updated_at: time,
          via: { channel: 'web_service' },
        },
        event: {},
        id: randomUUID(),
        subject: 'zen:ticket:35436',
        time,
        type,
        zendesk_event_version: '2022-11-06',
      },
      {
        'user-agent': 'Zendesk Webhook',
        'x-zendesk-account-id': '22129848',
        'x-zendesk-webhook-id': '01GX3ZD4QWB6E6TXBWE2S1X7GS',
        'x-zendesk-webhook-invocation-id': String(Math.floor(Math.random() * 1e10)),
      },
      'http://localhost:8787/webhooks/zendesk',
    )
  },

  sign: (draft, { secrets }, now) => withHeaders(draft, signTimestampedHmac(SCHEME, secrets[0]!, now.toISOString().replace(/\.\d{3}Z$/, 'Z'), draft.body)),
})
