import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, jsonDraft, pick, reject, secretsOption, signHmac, str, toDate, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://paystack.com/docs/payments/webhooks/
const DOCS = 'https://paystack.com/docs/payments/webhooks/'

/**
 * The only addresses Paystack sends webhooks from, in test and live mode
 * (https://paystack.com/docs/payments/webhooks/#ip-whitelisting): put them in the source's `allowIps`.
 */
export const PAYSTACK_WEBHOOK_IPS = ['52.31.139.75', '52.49.173.169', '52.214.14.220'] as const

const SCHEME: HmacScheme = { header: 'x-paystack-signature', algorithm: 'sha512', encoding: 'hex' }

const IPS_HINT = `Paystack also sends only from ${PAYSTACK_WEBHOOK_IPS.join(', ')}: list them in the source's \`allowIps\``

export const paystack = defineProvider({
  name: 'paystack',
  title: 'Paystack',
  docs: DOCS,
  /** `secrets`: the account's secret key(s) (sk_live_… / sk_test_…): Paystack signs with the API secret key, not a separate webhook secret. */
  options: z.object({ secrets: secretsOption }),

  verify(req, { secrets }) {
    if (!req.headers.get(SCHEME.header)) return reject('missing-signature', `expected x-paystack-signature; ${IPS_HINT}`)
    return verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is each secret the secret key (sk_live_… or sk_test_…) of the mode that sent the event, and is the raw body signed unchanged?')
  },

  // Paystack sends no delivery id. The event and its object (plus the object's update time, when it has
  // one, so successive updates of one invoice or subscription are distinct) identify a delivery, and stay
  // the same when Paystack retries it.
  describe(req) {
    const body = req.json()
    const event = str(pick(body, 'event'))
    const id = str(pick(body, 'data.id')) ?? str(pick(body, 'data.reference'))
    const updated = str(pick(body, 'data.updated_at')) ?? str(pick(body, 'data.updatedAt'))
    return {
      deliveryId: event && id ? [event, id, updated].filter((p) => p !== undefined).join(':') : undefined,
      type: event,
      occurredAt: toDate(pick(body, 'data.paid_at')) ?? toDate(pick(body, 'data.paidAt')) ?? toDate(pick(body, 'data.created_at')) ?? toDate(pick(body, 'data.createdAt')),
    }
  },

  // Modelled on the charge.success sample of the Paystack webhooks docs.
  sample(type = 'charge.success') {
    const paidAt = new Date()
    const createdAt = new Date(paidAt.getTime() - 23_000)
    return jsonDraft(
      {
        event: type,
        data: {
          id: 300_000_000 + Math.floor(Math.random() * 1e8),
          domain: 'test',
          status: 'success',
          reference: randomBytes(5).toString('hex'),
          amount: 10000,
          message: null,
          gateway_response: 'Approved by Financial Institution',
          paid_at: paidAt.toISOString(),
          created_at: createdAt.toISOString(),
          channel: 'card',
          currency: 'NGN',
          ip_address: '41.242.49.37',
          metadata: 0,
          fees: null,
          customer: { id: 68324, first_name: 'BoJack', last_name: 'Horseman', email: 'bojack@horseman.com', customer_code: 'CUS_qo38as2hpsgk2r0', phone: null, metadata: null, risk_action: 'default' },
          authorization: {
            authorization_code: 'AUTH_f5rnfq9p',
            bin: '539999',
            last4: '8877',
            exp_month: '08',
            exp_year: '2030',
            card_type: 'mastercard DEBIT',
            bank: 'Guaranty Trust Bank',
            country_code: 'NG',
            brand: 'mastercard',
            account_name: 'BoJack Horseman',
          },
          plan: {},
        },
      },
      {},
      'http://localhost:8787/webhooks/paystack',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})
