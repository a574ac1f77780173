import { randomUUID } from 'node:crypto'
import { createStandardWebhooksProvider } from './standard-webhooks.ts'

// https://replicate.com/docs/topics/webhooks/verify-webhook
// Standard Webhooks (`webhook-*` headers, whsec_ secret from GET /v1/webhooks/default/secret). The body is the
// prediction itself, so its `status` serves as the event type.
export const replicate = createStandardWebhooksProvider({
  name: 'replicate',
  title: 'Replicate',
  docs: 'https://replicate.com/docs/topics/webhooks/verify-webhook',
  headers: 'webhook',
  typePath: 'status',
  sampleBody: (status = 'succeeded') => {
    const id = randomUUID().replaceAll('-', '').slice(0, 26)
    const at = new Date().toISOString()
    return {
      id,
      model: 'replicate/hello-world',
      version: '5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa',
      input: { text: 'Alice' },
      logs: '',
      output: 'hello Alice',
      error: null,
      status,
      created_at: at,
      started_at: at,
      completed_at: at,
      metrics: { predict_time: 0.012683 },
      urls: { get: `https://api.replicate.com/v1/predictions/${id}`, cancel: `https://api.replicate.com/v1/predictions/${id}/cancel` },
    }
  },
})
