import { z } from 'zod'
import { defineProvider, jsonDraft, pick, secretsOption, signHmac, str, toDate, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://docs.lemonsqueezy.com/help/webhooks/signing-requests
const DOCS = 'https://docs.lemonsqueezy.com/help/webhooks/signing-requests'

const SCHEME: HmacScheme = { header: 'x-signature', algorithm: 'sha256', encoding: 'hex' }

export const lemonSqueezy = defineProvider({
  name: 'lemon-squeezy',
  title: 'Lemon Squeezy',
  docs: DOCS,
  options: z.object({
    /** The signing secret set on the webhook (6 to 40 characters). */
    secrets: secretsOption,
  }),

  verify: (req, { secrets }) => verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is the secret the signing secret of this webhook, and is the raw body signed unchanged?'),

  // Lemon Squeezy documents no delivery id. The id joins `meta.webhook_id` (when sent) with the event
  // name, the resource and its `updated_at`: unique per event whether webhook_id names the delivery or
  // the webhook, and unchanged when a failed delivery is retried with the same payload.
  describe(req) {
    const body = req.json()
    const type = str(pick(body, 'meta.event_name')) ?? req.headers.get('x-event-name') ?? undefined
    const resource = str(pick(body, 'data.type'))
    const id = str(pick(body, 'data.id'))
    const updatedAt = str(pick(body, 'data.attributes.updated_at')) ?? str(pick(body, 'data.attributes.created_at'))
    const parts = [str(pick(body, 'meta.webhook_id')), type, resource && id ? `${resource}/${id}` : undefined, updatedAt]
    return {
      deliveryId: type && id ? parts.filter((p) => p !== undefined).join(':') : undefined,
      type,
      occurredAt: toDate(updatedAt),
    }
  },

  sample: (type = 'order_created') => {
    const now = new Date().toISOString().replace('Z', '000Z')
    return jsonDraft(
      {
        meta: { test_mode: true, event_name: type, custom_data: { customer_id: 25 } },
        data: {
          type: 'orders',
          id: String(Math.floor(Date.now() / 1000)),
          attributes: {
            store_id: 1,
            customer_id: 1,
            identifier: '104e18a2-d755-4d4b-80c4-a6c1dcbe1c10',
            order_number: 1,
            user_name: 'Darlene Daugherty',
            user_email: 'gernser@yahoo.com',
            currency: 'USD',
            subtotal: 999,
            total: 999,
            status: 'paid',
            status_formatted: 'Paid',
            refunded: false,
            created_at: now,
            updated_at: now,
            test_mode: true,
          },
        },
      },
      { 'x-event-name': type },
      'http://localhost:8787/webhooks/lemon-squeezy',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})
