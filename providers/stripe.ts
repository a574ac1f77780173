import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import {
  accept,
  anyEqual,
  checkTimestamp,
  decodeDigest,
  defineProvider,
  hmac,
  jsonDraft,
  parseIntStrict,
  parseKeyValueHeader,
  pick,
  reject,
  secretsOption,
  str,
  toDate,
  toleranceOption,
  triedHint,
  withHeaders,
} from './kit.ts'

/** stripe-node's `Webhook.DEFAULT_TOLERANCE`. */
const TOLERANCE_SECONDS = 5 * 60
const MISMATCH_HINT =
  'is the sender signing the exact raw body, and is the secret the endpoint\'s signing secret (whsec_…) from the dashboard — or from `stripe listen` when forwarding with the CLI?'

// https://docs.stripe.com/webhooks/signature
export const stripe = defineProvider({
  name: 'stripe',
  title: 'Stripe',
  docs: 'https://docs.stripe.com/webhooks/signature',
  options: z.object({
    secrets: secretsOption,
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify(req, { secrets, toleranceSeconds }, now) {
    const header = req.headers.get('stripe-signature')
    if (!header) return reject('missing-signature', 'expected Stripe-Signature')
    const fields = parseKeyValueHeader(header, /,/)
    const t = fields.get('t')
    if (!t) return reject('missing-timestamp', 'Stripe-Signature should carry t=<seconds>')
    const seconds = parseIntStrict(t.at(-1))
    if (Number.isNaN(seconds)) return reject('malformed-timestamp', 'Stripe-Signature t= should be an integer number of seconds')
    // Several v1 entries appear while a secret is being rolled; any may match. v0 (test-mode legacy) is ignored, as stripe-node does.
    const signatures = (fields.get('v1') ?? []).map((v) => decodeDigest(v, 'hex')).filter((d) => d?.length === 32) as Buffer[]
    if (signatures.length === 0) return reject('malformed-signature', 'Stripe-Signature should carry v1=<hex HMAC-SHA256>')
    const stale = checkTimestamp(seconds, now, toleranceSeconds)
    if (stale) return stale
    const candidates = secrets.map((secret) => hmac('sha256', secret, `${seconds}.`, req.body))
    let ok = false
    for (const presented of signatures) ok = anyEqual(presented, candidates) || ok
    return ok ? accept : reject('mismatch', triedHint(secrets.length, MISMATCH_HINT))
  },

  describe(req) {
    const event = req.json()
    return { deliveryId: str(pick(event, 'id')), type: str(pick(event, 'type')), occurredAt: toDate(pick(event, 'created')) }
  },

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

  sign(draft, { secrets }, now) {
    const seconds = Math.floor(now.getTime() / 1000)
    const signature = hmac('sha256', secrets[0]!, `${seconds}.`, draft.body).toString('hex')
    return withHeaders(draft, { 'stripe-signature': `t=${seconds},v1=${signature}` })
  },
})
