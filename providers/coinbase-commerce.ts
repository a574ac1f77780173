import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, describeJson, jsonDraft, secretsOption, signHmac, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://docs.cdp.coinbase.com/commerce/api-arcitecture/webhooks-security
const DOCS = 'https://docs.cdp.coinbase.com/commerce/api-arcitecture/webhooks-security'

// coinbase-commerce-node `Webhook.verifySigHeader`: hex HMAC-SHA256(shared secret, raw body).
const SCHEME: HmacScheme = { header: 'x-cc-webhook-signature', algorithm: 'sha256', encoding: 'hex' }

export const coinbaseCommerce = defineProvider({
  name: 'coinbase-commerce',
  title: 'Coinbase Commerce',
  docs: DOCS,
  options: z.object({
    /** The webhook shared secret from Settings → Webhook subscriptions. */
    secrets: secretsOption,
  }),

  verify: (req, { secrets }) => verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is the secret the webhook shared secret, and is the raw body signed unchanged?'),

  describe: describeJson({ id: 'event.id', type: 'event.type', time: 'event.created_at' }),

  sample: (type = 'charge:confirmed') =>
    jsonDraft(
      {
        id: 1,
        scheduled_for: new Date().toISOString(),
        attempt_number: 1,
        event: {
          id: randomUUID(),
          resource: 'event',
          type,
          api_version: '2018-03-22',
          created_at: new Date().toISOString(),
          data: {
            id: 'f765421f2-1451-fafb-a513-aac6c819fba9',
            resource: 'charge',
            code: '66BEOV2A',
            name: 'The Sovereign Individual',
            description: 'Mastering the Transition to the Information Age',
            pricing_type: 'fixed_price',
            pricing: { local: { amount: '100.00', currency: 'USD' } },
            created_at: new Date().toISOString(),
            metadata: {},
          },
        },
      },
      {},
      'http://localhost:8787/webhooks/coinbase-commerce',
    ),

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})
