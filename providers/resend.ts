import { randomUUID } from 'node:crypto'
import { createStandardWebhooksProvider } from './standard-webhooks.ts'

// https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests
// Resend delivers through Svix: `svix-*` headers and a whsec_ signing secret.
export const resend = createStandardWebhooksProvider({
  name: 'resend',
  title: 'Resend',
  docs: 'https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests',
  headers: 'svix',
  timePath: 'created_at',
  sampleBody: (type = 'email.delivered') => ({
    type,
    created_at: new Date().toISOString(),
    data: {
      created_at: new Date().toISOString(),
      email_id: randomUUID(),
      from: 'Acme <onboarding@resend.dev>',
      to: ['delivered@resend.dev'],
      subject: 'Sending this example',
    },
  }),
})
