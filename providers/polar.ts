import { randomUUID } from 'node:crypto'
import { createStandardWebhooksProvider } from './standard-webhooks.ts'

// https://docs.polar.sh/integrate/webhooks/delivery
// Standard Webhooks (`webhook-*` headers), but @polar-sh/sdk's validateEvent base64-encodes the secret before
// handing it to `standardwebhooks`: the HMAC key is the secret's own bytes. Configure the secret exactly as the
// Polar dashboard shows it (e.g. `polar_whs_…`), not base64-encoded and without adding `whsec_`.
export const polar = createStandardWebhooksProvider({
  name: 'polar',
  title: 'Polar',
  docs: 'https://docs.polar.sh/integrate/webhooks/delivery',
  headers: 'webhook',
  secretFormat: 'utf8',
  timePath: 'timestamp',
  sampleBody: (type = 'customer.created') => ({
    type,
    timestamp: new Date().toISOString(),
    data: {
      id: randomUUID(),
      created_at: new Date().toISOString(),
      modified_at: null,
      metadata: {},
      external_id: null,
      email: 'customer@example.com',
      email_verified: true,
      type: 'individual',
      name: 'Jane Customer',
      billing_name: null,
      billing_address: { line1: '1 Main St', postal_code: '94107', city: 'San Francisco', state: 'US-CA', country: 'US' },
      tax_id: null,
      organization_id: randomUUID(),
      deleted_at: null,
      avatar_url: null,
    },
  }),
})
