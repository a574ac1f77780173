import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, jsonDraft, pick, secretsOption, signTimestampedHeader, str, toDate, toleranceOption, verifyTimestampedHeader, withHeaders, RAW_BODY_HINT, type TimestampedHeaderScheme } from './kit.ts'

/** The window Paddle's SDKs enforce by default (WebhooksValidator.MAX_VALID_TIME_DIFFERENCE). */
const TOLERANCE_SECONDS = 5

// "ts=<seconds>;h1=<hex HMAC-SHA256(secret, `${ts}:${body}`)>", with several h1 while Paddle rotates the secret. The
// window is checked only once a signature matched.
const SCHEME: TimestampedHeaderScheme = {
  header: 'paddle-signature',
  separator: ';',
  timestampKey: 'ts',
  signatureKey: 'h1',
  signedPayload: (ts, _seconds, body) => [`${ts}:`, body],
  signatureFirst: true,
  hints: {
    'missing-signature': 'expected a Paddle-Signature header',
    'missing-timestamp': 'Paddle-Signature should hold ts=…',
    'malformed-timestamp': 'ts should be seconds since the epoch',
    'malformed-signature': 'Paddle-Signature should hold h1= followed by a hex HMAC-SHA256 digest',
    mismatch: `is it the secret key of this notification destination? ${RAW_BODY_HINT}`,
  },
}

const paddleId = (prefix: string) => `${prefix}_01${randomBytes(12).toString('hex').slice(0, 24)}`

// https://developer.paddle.com/webhooks/signature-verification
export const paddle = defineProvider({
  name: 'paddle',
  title: 'Paddle Billing',
  docs: 'https://developer.paddle.com/webhooks/signature-verification',
  options: z.object({
    /** The notification destination's secret key(s) (pdl_ntfset_…); several while rotating. */
    secrets: secretsOption,
    /** Accepted age of the signed `ts`, in seconds (default: 5, as Paddle's SDKs; 0 disables the check). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify: (req, { secrets, toleranceSeconds }, now) => verifyTimestampedHeader(req, secrets, SCHEME, now, toleranceSeconds),

  describe(req) {
    const body = req.json()
    // event_id is kept by retries; notification_id would also differ per destination.
    return { deliveryId: str(pick(body, 'event_id')), type: str(pick(body, 'event_type')), occurredAt: toDate(pick(body, 'occurred_at')) }
  },

  sample(type = 'transaction.completed') {
    const occurredAt = new Date().toISOString()
    return jsonDraft(
      {
        event_id: paddleId('evt'),
        event_type: type,
        occurred_at: occurredAt,
        notification_id: paddleId('ntf'),
        data: {
          id: paddleId('txn'),
          status: 'completed',
          customer_id: 'ctm_01hv6y1jedq4p1n0yqn5ba3ky4',
          address_id: 'add_01hv6y1jrkw0rk2f9cz7kx8d5s',
          currency_code: 'USD',
          origin: 'web',
          subscription_id: 'sub_01hv6y6m8j4ej0tnw6x6dvb1t1',
          collection_mode: 'automatic',
          invoice_number: '325-10566',
          items: [
            {
              price: {
                id: 'pri_01gsz8x8sawmvhz1pv30nge1ke',
                product_id: 'pro_01gsz4t5hdjse780zja8vvr7jg',
                description: 'Monthly (per seat)',
                name: 'Monthly (per seat)',
                type: 'standard',
                billing_cycle: { interval: 'month', frequency: 1 },
                trial_period: null,
                tax_mode: 'account_setting',
                unit_price: { amount: '3000', currency_code: 'USD' },
                unit_price_overrides: [],
                quantity: { minimum: 1, maximum: 999 },
                status: 'active',
              },
              quantity: 10,
              proration: null,
            },
          ],
          details: {
            tax_rates_used: [{ tax_rate: '0.08875', totals: { subtotal: '30000', discount: '0', tax: '2662', total: '32662' } }],
            totals: { subtotal: '30000', discount: '0', tax: '2662', total: '32662', credit: '0', credit_to_balance: '0', balance: '0', grand_total: '32662', fee: '1683', earnings: '28317', currency_code: 'USD' },
            line_items: [],
          },
          payments: [],
          checkout: { url: 'https://example.com/pay?_ptxn=txn_01hv8wptq8987qeep44cyrewp9' },
          billed_at: occurredAt,
          revised_at: null,
          created_at: occurredAt,
          updated_at: occurredAt,
        },
      },
      { 'user-agent': 'Paddle' },
      'http://localhost:8787/webhooks/paddle',
    )
  },

  sign: (draft, { secrets }, now) =>
    withHeaders(draft, { [SCHEME.header]: signTimestampedHeader(SCHEME, secrets[0]!, String(Math.floor(now.getTime() / 1000)), draft.body) }),
})
