import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, jsonDraft, pick, reply, secretsOption, signHmac, toDate, verifyHmacHeader, withHeaders, type HmacScheme, type RawRequest } from './kit.ts'

// https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks
const DOCS = 'https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks'

const SCHEME: HmacScheme = { header: 'x-wc-webhook-signature', algorithm: 'sha256', encoding: 'base64' }

const MISMATCH_HINT = 'is the secret the one shown on the WooCommerce webhook, and is the raw body signed unchanged?'

/**
 * WC_Webhook::deliver_ping(): on creation (and when a webhook is re-activated) WooCommerce POSTs `webhook_id=<id>`,
 * unsigned and without any X-WC-Webhook-* header, and keeps the webhook pending unless the answer is exactly 200.
 */
const isPing = (req: RawRequest) =>
  req.method === 'POST' && !req.headers.has(SCHEME.header) && !req.headers.has('x-wc-webhook-topic') && /^webhook_id=\d+$/.test(req.text().trim())

/** WooCommerce's `*_gmt` dates are UTC without a zone designator. */
const gmtDate = (value: unknown) => (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(value) ? toDate(`${value}Z`) : toDate(value))

export const woocommerce = defineProvider({
  name: 'woocommerce',
  title: 'WooCommerce',
  docs: DOCS,
  options: z.object({ secrets: secretsOption }),
  handshake: 'creation ping (unsigned `webhook_id=…` form body) answered 200',

  // base64(HMAC-SHA256(secret, body)), WC_Webhook::generate_signature().
  verify: (req, { secrets }) => verifyHmacHeader(req, secrets, SCHEME, [req.body], MISMATCH_HINT),

  challenge: (req) => (isPing(req) ? reply('', 200) : undefined),

  describe(req) {
    const body = req.json()
    return {
      deliveryId: req.headers.get('x-wc-webhook-delivery-id') ?? undefined,
      type: req.headers.get('x-wc-webhook-topic') ?? undefined,
      occurredAt: gmtDate(pick(body, 'date_modified_gmt')) ?? gmtDate(pick(body, 'date_created_gmt')),
    }
  },

  sample(type = 'order.created') {
    const [resource = 'order', event = 'created'] = type.split('.')
    const now = new Date().toISOString().slice(0, 19)
    const order = {
      id: 727,
      parent_id: 0,
      status: 'processing',
      currency: 'USD',
      version: '8.5.2',
      prices_include_tax: false,
      date_created: now,
      date_modified: now,
      discount_total: '0.00',
      shipping_total: '10.00',
      total: '29.35',
      total_tax: '1.35',
      customer_id: 0,
      order_key: 'wc_order_58d2d042d1d',
      billing: { first_name: 'John', last_name: 'Doe', address_1: '969 Market', city: 'San Francisco', state: 'CA', postcode: '94103', country: 'US', email: 'john.doe@example.com', phone: '(555) 555-5555' },
      payment_method: 'bacs',
      payment_method_title: 'Direct Bank Transfer',
      date_created_gmt: now,
      date_modified_gmt: now,
      line_items: [{ id: 315, name: 'Woo Single #1', product_id: 93, quantity: 2, subtotal: '6.00', total: '6.00', sku: '', price: 3 }],
      _links: { self: [{ href: 'https://example.com/wp-json/wc/v3/orders/727' }], collection: [{ href: 'https://example.com/wp-json/wc/v3/orders' }] },
    }
    const draft = jsonDraft(
      event === 'deleted' ? { id: 727 } : order,
      {
        'user-agent': 'WooCommerce/8.5.2 Hookshot (WordPress/6.4.3)',
        'x-wc-webhook-source': 'https://example.com/',
        'x-wc-webhook-topic': type,
        'x-wc-webhook-resource': resource,
        'x-wc-webhook-event': event,
        'x-wc-webhook-id': '12',
        'x-wc-webhook-delivery-id': randomBytes(16).toString('hex'),
      },
      'http://localhost:8787/webhooks/woocommerce',
    )
    // wp_json_encode() escapes forward slashes.
    return { ...draft, body: draft.body.replaceAll('/', '\\/') }
  },

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})

