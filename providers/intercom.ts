import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, describeJson, jsonDraft, secretsOption, signHmac, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://developers.intercom.com/docs/references/2.13/webhooks/webhook-models
const DOCS = 'https://developers.intercom.com/docs/references/2.13/webhooks/webhook-models'

const SCHEME: HmacScheme = { header: 'x-hub-signature', algorithm: 'sha1', encoding: 'hex', prefix: 'sha1=' }

export const intercom = defineProvider({
  name: 'intercom',
  title: 'Intercom',
  docs: DOCS,
  options: z.object({
    /** The app's client secret (Developer Hub → your app → Basic information). */
    secrets: secretsOption,
  }),

  verify: (req, { secrets }) => verifyHmacHeader(req, secrets, SCHEME, [req.body], "is the sender signing the exact raw body, and is the secret the app's client secret from the Developer Hub?"),

  describe: describeJson({ id: 'id', type: 'topic', time: 'created_at' }),

  sample(type = 'conversation.user.created') {
    const createdAt = Math.floor(Date.now() / 1000)
    return jsonDraft(
      {
        type: 'notification_event',
        app_id: 'a86dr8yl',
        data: { type: 'notification_event_data', item: { type: 'conversation', id: '147', created_at: createdAt, user: { type: 'user', id: '55a3b', email: 'alice@example.com' } } },
        links: {},
        id: `notif_${randomUUID()}`,
        topic: type,
        delivery_status: 'pending',
        delivery_attempts: 1,
        delivered_at: 0,
        first_sent_at: createdAt,
        created_at: createdAt,
        self: null,
      },
      { 'user-agent': 'intercom-parrot-service-client/1.0' },
      'http://localhost:8787/webhooks/intercom',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { 'x-hub-signature': signHmac(SCHEME, secrets[0]!, draft.body) }),
})
