import { randomUUID } from 'node:crypto'
import { createStandardWebhooksProvider } from './standard-webhooks.ts'

// https://clerk.com/docs/guides/development/webhooks/syncing
// Clerk delivers through Svix: `svix-*` headers, whsec_ signing secret (what @clerk/backend's verifyWebhook checks).
export const clerk = createStandardWebhooksProvider({
  name: 'clerk',
  title: 'Clerk',
  docs: 'https://clerk.com/docs/guides/development/webhooks/syncing',
  headers: 'svix',
  timePath: 'timestamp',
  sampleBody: (type = 'user.created') => {
    const now = Date.now()
    const emailId = `idn_${randomUUID().replaceAll('-', '').slice(0, 27)}`
    return {
      data: {
        id: `user_${randomUUID().replaceAll('-', '').slice(0, 27)}`,
        object: 'user',
        first_name: 'Example',
        last_name: 'Example',
        username: null,
        email_addresses: [{ id: emailId, object: 'email_address', email_address: 'example@example.org', linked_to: [], verification: { status: 'verified', strategy: 'ticket' } }],
        primary_email_address_id: emailId,
        phone_numbers: [],
        public_metadata: {},
        created_at: now,
        updated_at: now,
      },
      event_attributes: { http_request: { client_ip: '192.0.2.1', user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)' } },
      instance_id: 'ins_2ZLvKDmJp1cCCRc3tYpyAA1Hj4V',
      object: 'event',
      timestamp: now,
      type,
    }
  },
})
