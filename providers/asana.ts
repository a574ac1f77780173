import { z } from 'zod'
import { defineProvider, hash, jsonDraft, pick, reject, reply, secretsOption, signHmac, str, toDate, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://developers.asana.com/docs/webhooks-guide
const DOCS = 'https://developers.asana.com/docs/webhooks-guide'

const SCHEME: HmacScheme = { header: 'x-hook-signature', algorithm: 'sha256', encoding: 'hex' }

/**
 * Asana webhooks. The hook secret is chosen by Asana and revealed only in the `X-Hook-Secret` handshake
 * sent while the webhook is being created; inhook answers it (echoing the header, storing nothing), and
 * the user then puts that secret in `secrets`. Until then every event is rejected.
 */
export const asana = defineProvider({
  name: 'asana',
  title: 'Asana',
  docs: DOCS,
  options: z.object({
    /** The hook secret(s) from the X-Hook-Secret handshake; absent until the first handshake is answered (default: none). */
    secrets: secretsOption.optional(),
    /** Answer Asana's X-Hook-Secret handshake (default: true). */
    allowHandshake: z.boolean().default(true),
  }),
  handshake: 'X-Hook-Secret echoed back; then store that secret in `secrets`',

  verify(req, { secrets }) {
    if (!secrets?.length) {
      if (!req.headers.get(SCHEME.header)) return reject('missing-signature', 'expected X-Hook-Signature')
      return reject('mismatch', 'no hook secret configured yet: copy the X-Hook-Secret of the handshake into `secrets`')
    }
    return verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is each secret the X-Hook-Secret of this webhook\'s handshake, and is the raw body signed unchanged?')
  },

  // Answering a forged handshake is harmless: nothing is stored, and the echoed secret is the caller's
  // own. Events stay unverifiable until the user configures the secret Asana chose.
  challenge(req, { allowHandshake }) {
    const secret = req.headers.get('x-hook-secret')
    if (secret === null) return undefined
    if (!allowHandshake) return reject('bad-request', 'X-Hook-Secret handshake refused (allowHandshake is false)')
    if (secret === '') return reject('bad-request', 'empty X-Hook-Secret')
    return reply('', 200, { 'x-hook-secret': secret })
  },

  // Asana events carry no id; the body (its events with their times, users and resources) is the event,
  // and a retry resends the same bytes, so its SHA-256 identifies the delivery.
  describe(req) {
    const body = req.json()
    const events = pick(body, 'events')
    const resourceType = str(pick(body, 'events.0.resource.resource_type'))
    const action = str(pick(body, 'events.0.action'))
    return {
      deliveryId: body === undefined ? undefined : hash('sha256', req.body).toString('hex'),
      type: resourceType && action ? `${resourceType}.${action}` : Array.isArray(events) && events.length === 0 ? 'heartbeat' : action,
      occurredAt: toDate(pick(body, 'events.0.created_at')),
    }
  },

  redact: () => ({ headers: ['x-hook-secret'] }),

  // `type` is `<resource_type>.<action>`, e.g. 'task.changed', 'story.added'.
  sample(type = 'task.changed') {
    const [resourceType = 'task', action = 'changed'] = type.split('.')
    const gid = () => String(1_200_000_000_000_000 + Math.floor(Math.random() * 1e15))
    return jsonDraft(
      {
        events: [
          {
            user: { gid: gid(), resource_type: 'user' },
            created_at: new Date().toISOString(),
            action,
            resource: { gid: gid(), resource_type: resourceType, ...(resourceType === 'task' ? { resource_subtype: 'default_task' } : {}) },
            parent: null,
            ...(action === 'changed' ? { change: { field: 'assignee', action: 'changed' } } : {}),
          },
        ],
      },
      {},
      'http://localhost:8787/webhooks/asana',
    )
  },

  sign(draft, { secrets }) {
    const secret = secrets?.[0]
    if (!secret) throw new Error('asana: signing needs the hook secret in `secrets`')
    return withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secret, draft.body) })
  },
})
