import { randomUUID } from 'node:crypto'
import { createStandardWebhooksProvider } from './standard-webhooks.ts'

// https://developer.brex.com/docs/webhooks
// Standard Webhooks (`webhook-*` headers); secrets come from GET /v1/webhooks/secrets (two during a rotation).
export const brex = createStandardWebhooksProvider({
  name: 'brex',
  title: 'Brex',
  docs: 'https://developer.brex.com/docs/webhooks',
  headers: 'webhook',
  typePath: 'event_type',
  sampleBody: (type = 'REFERRAL_ACTIVATED') => ({ event_type: type, referral_id: `referral_${randomUUID().replaceAll('-', '').slice(0, 20)}` }),
})
