import { randomInt, randomUUID } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, jsonDraft, reject, secretsOption, signHmac, toDate, verifyHmacHeader, withHeaders, type HmacScheme, type RawRequest } from './kit.ts'

// Classic webhooks send X-Shopify-* headers; the newer Events deliveries drop the "X-" prefix.
const SCHEME: HmacScheme = { header: 'x-shopify-hmac-sha256', algorithm: 'sha256', encoding: 'base64' }
const SECRET_HINT =
  'is the secret the app\'s client secret (API secret key), or for webhooks created in the store admin the key shown under Settings > Notifications > Webhooks? Is the exact raw body signed?'

const header = (req: RawRequest, name: string) => req.headers.get(`x-${name}`) ?? req.headers.get(name) ?? undefined

// https://shopify.dev/docs/apps/build/webhooks/subscribe/https
export const shopify = defineProvider({
  name: 'shopify',
  title: 'Shopify',
  docs: 'https://shopify.dev/docs/apps/build/webhooks/subscribe/https',
  options: z.object({ secrets: secretsOption }),

  verify(req, { secrets }) {
    const name = req.headers.has(SCHEME.header) ? SCHEME.header : 'shopify-hmac-sha256'
    if (!req.headers.get(name)) return reject('missing-signature', 'expected an X-Shopify-Hmac-Sha256 header')
    return verifyHmacHeader(req, secrets, { ...SCHEME, header: name }, [req.body], SECRET_HINT)
  },

  describe: (req) => ({
    // Shopify's guidance: the event id identifies duplicates (one event re-sent, or sent through two
    // subscriptions); the webhook id only identifies one webhook and its retries.
    deliveryId: header(req, 'shopify-event-id') ?? header(req, 'shopify-webhook-id'),
    type: header(req, 'shopify-topic'),
    occurredAt: toDate(header(req, 'shopify-triggered-at')),
  }),

  sample(topic = 'orders/create') {
    const id = randomInt(1, 2 ** 47)
    return jsonDraft(
      {
        id,
        admin_graphql_api_id: `gid://shopify/Order/${id}`,
        name: '#1001',
        email: 'jon@example.com',
        created_at: '2024-05-14T10:15:03-04:00',
        currency: 'USD',
        financial_status: 'paid',
        fulfillment_status: null,
        total_price: '199.00',
        subtotal_price: '189.00',
        total_tax: '10.00',
        line_items: [{ id: 866550311766439020, product_id: 632910392, title: 'IPod Nano - 8GB', quantity: 1, price: '189.00', sku: 'IPOD2008PINK' }],
        customer: { id: 115310627314723950, email: 'john@example.com', first_name: 'John', last_name: 'Smith' },
      },
      {
        'user-agent': 'Shopify-Captain-Hook',
        'x-shopify-topic': topic,
        'x-shopify-shop-domain': 'example.myshopify.com',
        'x-shopify-api-version': '2025-01',
        'x-shopify-webhook-id': randomUUID(),
        'x-shopify-event-id': randomUUID(),
        'x-shopify-triggered-at': new Date().toISOString(),
      },
      'http://localhost:8787/webhooks/shopify',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})
