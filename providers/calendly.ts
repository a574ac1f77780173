import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import {
  defineProvider,
  jsonDraft,
  pick,
  secretsOption,
  signTimestampedHeader,
  str,
  toDate,
  toleranceOption,
  verifyTimestampedHeader,
  withHeaders,
  type TimestampedHeaderScheme,
} from './kit.ts'

// https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures
const DOCS = 'https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures'

/** Calendly's example rejects signatures older than three minutes. */
const TOLERANCE_SECONDS = 3 * 60

// Calendly-Webhook-Signature: t=1492774577,v1=<hex HMAC-SHA256(signing key, `${t}.${raw body}`)>
const SCHEME: TimestampedHeaderScheme = {
  header: 'calendly-webhook-signature',
  hints: {
    'missing-signature': 'expected Calendly-Webhook-Signature (was the subscription created with a signing key?)',
    'missing-timestamp': 'Calendly-Webhook-Signature should hold t=<seconds>',
    'malformed-timestamp': 't should be seconds since the epoch',
    'malformed-signature': 'Calendly-Webhook-Signature should hold v1=<hex HMAC-SHA256>',
    mismatch: 'is the secret the webhook signing key, and is the raw body signed unchanged?',
  },
}

export const calendly = defineProvider({
  name: 'calendly',
  title: 'Calendly',
  docs: DOCS,
  options: z.object({
    /** The webhook signing key (set when the subscription was created, or generated for an OAuth app). */
    secrets: secretsOption,
    /** Accepted distance between the signature's `t` and now, in seconds (default: 180). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify: (req, { secrets, toleranceSeconds }, now) => verifyTimestampedHeader(req, secrets, SCHEME, now, toleranceSeconds),

  // No delivery id is sent: the event name, the resource's URI and the event's created_at identify it.
  describe(req) {
    const body = req.json()
    const event = str(pick(body, 'event'))
    const uri = str(pick(body, 'payload.uri'))
    const createdAt = str(pick(body, 'created_at'))
    return {
      deliveryId: event && uri && createdAt ? `${event}:${uri}:${createdAt}` : undefined,
      type: event,
      occurredAt: toDate(createdAt),
    }
  },

  sample(type = 'invitee.created') {
    const now = new Date().toISOString().replace('Z', '000Z')
    const event = `https://api.calendly.com/scheduled_events/${randomBytes(8).toString('hex').toUpperCase()}`
    return jsonDraft(
      {
        created_at: now,
        created_by: 'https://api.calendly.com/users/AAAAAAAAAAAAAAAA',
        event: type,
        payload: {
          cancel_url: 'https://calendly.com/cancellations/AAAAAAAAAAAAAAAA',
          created_at: now,
          email: 'test@example.com',
          event,
          name: 'John Doe',
          new_invitee: null,
          old_invitee: null,
          questions_and_answers: [],
          reschedule_url: 'https://calendly.com/reschedulings/AAAAAAAAAAAAAAAA',
          rescheduled: false,
          status: 'active',
          text_reminder_number: null,
          timezone: 'America/New_York',
          tracking: { utm_campaign: null, utm_source: null, utm_medium: null, utm_content: null, utm_term: null, salesforce_uuid: null },
          updated_at: now,
          uri: `${event}/invitees/${randomBytes(8).toString('hex').toUpperCase()}`,
        },
      },
      {},
      'http://localhost:8787/webhooks/calendly',
    )
  },

  sign: (draft, { secrets }, now) =>
    withHeaders(draft, { [SCHEME.header]: signTimestampedHeader(SCHEME, secrets[0]!, String(Math.floor(now.getTime() / 1000)), draft.body) }),
})
