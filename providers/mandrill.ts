import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, describeBatch, formDraft, parseJson, reply, secretsOption, urlHint, verifyHmacHeader, withHeaders, signHmac, type HmacScheme, type RawRequest } from './kit.ts'

// https://mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks/#authenticating-webhook-requests
const DOCS = 'https://mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks/#authenticating-webhook-requests'

const SCHEME: HmacScheme = { header: 'x-mandrill-signature', algorithm: 'sha1', encoding: 'base64' }

/** The key Mandrill signs its URL-check POST with when the HEAD check fails. */
const TEST_WEBHOOK_KEY = 'test-webhook'

export const mandrill = defineProvider({
  name: 'mandrill',
  title: 'Mailchimp Transactional (Mandrill)',
  docs: DOCS,
  options: z.object({
    /** Webhook authentication keys (Settings → Webhooks → Key); each webhook has its own. */
    secrets: secretsOption,
  }),
  methods: ['POST', 'HEAD'],
  handshake: 'HEAD URL check, or an empty mandrill_events POST signed with the "test-webhook" key',

  challenge(req) {
    if (req.method === 'HEAD') return reply('')
    // When the HEAD check fails, Mandrill falls back to a POST of an empty batch signed with a generic key.
    // https://mandrill.zendesk.com/hc/en-us/articles/360038740014-Why-can-t-my-webhook-or-inbound-route-URL-be-verified
    if (req.method === 'POST' && req.form().get('mandrill_events') === '[]' && verifyHmacHeader(req, [TEST_WEBHOOK_KEY], SCHEME, [signedData(req)]).ok) return reply('')
    return undefined
  },

  verify: (req, { secrets }) => verifyHmacHeader(req, secrets, SCHEME, [signedData(req)], `${urlHint(req.url)}; each webhook has its own key`),

  describe: (req) => describeBatch(req, parseEvents(req.form().get('mandrill_events')), { id: '_id', type: ['event', 'type'], time: 'ts' }),

  sample(type = 'send') {
    const id = randomUUID().replace(/-/g, '')
    const ts = Math.floor(Date.now() / 1000)
    const msg = { ts, subject: 'This an example webhook message', email: 'example.webhook@mandrillapp.com', sender: 'example.sender@mandrillapp.com', tags: ['webhook-example'], opens: [], clicks: [], state: 'sent', metadata: { user_id: 111 }, _id: id, _version: 'exampleaaaaaaaaaaaaaaa' }
    const event = { event: type, msg, _id: id, ts }
    return formDraft({ mandrill_events: JSON.stringify([event]) }, { 'user-agent': 'Mandrill-Webhook/1.0' }, 'http://localhost:8787/webhooks/mandrill')
  },

  sign: (draft, { secrets }) => withHeaders(draft, { 'x-mandrill-signature': signHmac(SCHEME, secrets[0]!, signedString(draft.url, new URLSearchParams(draft.body))) }),
})

/** The webhook URL followed by each POST field's name and value, sorted by name, without delimiters. */
const signedData = (req: RawRequest) => signedString(req.url, req.form())

function signedString(url: string, form: URLSearchParams): string {
  // PHP's $_POST keeps the last of repeated fields.
  const fields = new Map<string, string>()
  for (const [key, value] of form) fields.set(key, value)
  return url + [...fields.keys()].sort().map((key) => key + fields.get(key)).join('')
}

function parseEvents(text: string | null): unknown[] | undefined {
  const events = parseJson(text)
  return Array.isArray(events) ? events : undefined
}
