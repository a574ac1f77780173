import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, jsonDraft, pick, secretsOption, signHmac, str, toDate, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://razorpay.com/docs/webhooks/validate-test/
const DOCS = 'https://razorpay.com/docs/webhooks/validate-test/'

const SCHEME: HmacScheme = { header: 'x-razorpay-signature', algorithm: 'sha256', encoding: 'hex' }

export const razorpay = defineProvider({
  name: 'razorpay',
  title: 'Razorpay',
  docs: DOCS,
  options: z.object({ secrets: secretsOption }),

  verify: (req, { secrets }) =>
    verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is each secret the Webhook Secret set on this webhook (not the API key secret), and is the raw body signed unchanged?'),

  describe(req) {
    const body = req.json()
    return {
      deliveryId: req.headers.get('x-razorpay-event-id') ?? undefined,
      type: str(pick(body, 'event')),
      occurredAt: toDate(pick(body, 'created_at')),
    }
  },

  // Modelled on the payment.captured sample payload in Razorpay's webhook docs.
  sample(type = 'payment.captured') {
    const createdAt = Math.floor(Date.now() / 1000)
    const entity = type.split('.')[0] ?? 'payment'
    return jsonDraft(
      {
        entity: 'event',
        account_id: 'acc_BFQ7uQEaa7j2z7',
        event: type,
        contains: [entity],
        payload: {
          payment: {
            entity: {
              id: `pay_${razorpayId()}`,
              entity: 'payment',
              amount: 50000,
              currency: 'INR',
              status: 'captured',
              order_id: `order_${razorpayId()}`,
              international: false,
              method: 'card',
              amount_refunded: 0,
              captured: true,
              description: 'Test transaction',
              email: 'gaurav.kumar@example.com',
              contact: '+919876543210',
              fee: 1180,
              tax: 180,
              created_at: createdAt - 5,
            },
          },
        },
        created_at: createdAt,
      },
      { 'user-agent': 'Razorpay-Webhook/v1', 'x-razorpay-event-id': razorpayId() },
      'http://localhost:8787/webhooks/razorpay',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})

/** A 14-character Razorpay-style id. */
function razorpayId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return Array.from(randomBytes(14), (b) => alphabet[b % alphabet.length]).join('')
}
