import { randomUUID } from 'node:crypto'
import { createStandardWebhooksProvider } from './standard-webhooks.ts'

// https://docs.svix.com/receiving/verifying-payloads/how-manual
// Standard Webhooks with `svix-*` headers; `webhook-*` are read too, as the svix SDK does.
export const svix = createStandardWebhooksProvider({
  name: 'svix',
  title: 'Svix',
  docs: 'https://docs.svix.com/receiving/verifying-payloads/how-manual',
  headers: 'svix',
  timePath: 'timestamp',
  sampleBody: (type = 'invoice.paid') => ({ type, timestamp: new Date().toISOString(), data: { id: `inv_${randomUUID().replaceAll('-', '').slice(0, 24)}`, status: 'paid', amount: 2500 } }),
})
