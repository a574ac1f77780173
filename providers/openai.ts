import { randomUUID } from 'node:crypto'
import { createStandardWebhooksProvider } from './standard-webhooks.ts'

// https://platform.openai.com/docs/guides/webhooks
// Standard Webhooks (`webhook-*` headers, whsec_ secret), as the openai SDK's webhooks.unwrap checks.
export const openai = createStandardWebhooksProvider({
  name: 'openai',
  title: 'OpenAI',
  docs: 'https://platform.openai.com/docs/guides/webhooks',
  headers: 'webhook',
  timePath: 'created_at',
  sampleBody: (type = 'response.completed') => ({
    object: 'event',
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    type,
    created_at: Math.floor(Date.now() / 1000),
    data: { id: `resp_${randomUUID().replaceAll('-', '')}` },
  }),
})
