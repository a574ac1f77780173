import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import {
  defineProvider,
  describeJson,
  jsonDraft,
  secretsOption,
  signTimestampedHeader,
  toleranceOption,
  verifyTimestampedHeader,
  withHeaders,
  type TimestampedHeaderScheme,
} from './kit.ts'

/** stripe-node's `Webhook.DEFAULT_TOLERANCE`. */
const TOLERANCE_SECONDS = 5 * 60

// Stripe-Signature: t=<seconds>,v1=<hex HMAC-SHA256(secret, `${t}.${body}`)>. Several v1 entries appear while a secret
// is being rolled; any may match. As stripe-node: the last t= counts, its integer value is what is signed, and v0
// (test-mode legacy) is ignored.
const SCHEME: TimestampedHeaderScheme = {
  header: 'stripe-signature',
  lastTimestamp: true,
  signedPayload: (_timestamp, seconds, body) => [`${seconds}.`, body],
  hints: {
    'missing-signature': 'expected Stripe-Signature',
    'missing-timestamp': 'Stripe-Signature should carry t=<seconds>',
    'malformed-timestamp': 'Stripe-Signature t= should be an integer number of seconds',
    'malformed-signature': 'Stripe-Signature should carry v1=<hex HMAC-SHA256>',
    mismatch:
      'is the sender signing the exact raw body, and is the secret the endpoint\'s signing secret (whsec_…) from the dashboard — or from `stripe listen` when forwarding with the CLI?',
  },
}

// https://docs.stripe.com/webhooks/signature
export const stripe = defineProvider({
  name: 'stripe',
  title: 'Stripe',
  docs: 'https://docs.stripe.com/webhooks/signature',
  options: z.object({
    secrets: secretsOption,
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify: (req, { secrets, toleranceSeconds }, now) => verifyTimestampedHeader(req, secrets, SCHEME, now, toleranceSeconds),

  describe: describeJson({ id: 'id', type: 'type', time: 'created' }),

  // Modelled on the event object in https://docs.stripe.com/api/events/object
  sample: (type = 'payment_intent.succeeded') =>
    jsonDraft(
      {
        id: `evt_${randomBytes(12).toString('hex')}`,
        object: 'event',
        api_version: '2025-06-30.basil',
        created: Math.floor(Date.now() / 1000),
        data: {
          object: {
            id: `pi_${randomBytes(12).toString('hex')}`,
            object: 'payment_intent',
            amount: 2000,
            amount_received: 2000,
            currency: 'usd',
            livemode: false,
            metadata: {},
            status: 'succeeded',
          },
        },
        livemode: false,
        pending_webhooks: 1,
        request: { id: `req_${randomBytes(7).toString('hex')}`, idempotency_key: null },
        type,
      },
      { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
      'http://localhost:8787/webhooks/stripe',
    ),

  sign: (draft, { secrets }, now) =>
    withHeaders(draft, { [SCHEME.header]: signTimestampedHeader(SCHEME, secrets[0]!, String(Math.floor(now.getTime() / 1000)), draft.body) }),
})
