import { z } from 'zod'
import {
  bodyDigestId,
  defineProvider,
  jsonDraft,
  pick,
  reject,
  reply,
  secretsOption,
  signHmac,
  str,
  toDate,
  tokenEqual,
  verifyHmacHeader,
  withHeaders,
  type HmacScheme,
  type Provider,
} from './kit.ts'

// https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
const DOCS = 'https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications'

// Meta signs the payload it sends, in which non-ASCII characters are escaped (\u00e4); hashing the
// exact bytes received therefore just works, whereas re-serialising a parsed body would not.
const SCHEME: HmacScheme = { header: 'x-hub-signature-256', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' }

/** Example `changes[].value` per object, from Meta's reference payloads. */
const SAMPLE_VALUES: Record<string, (time: number) => unknown> = {
  page: () => ({ item: 'status', verb: 'add', post_id: '44444444_444444444', message: 'Example post content.' }),
  instagram: () => ({ from: { id: '232323232', username: 'test' }, media: { id: '123123123', media_product_type: 'FEED' }, id: '17865799348089039', text: 'This is an example.' }),
  whatsapp_business_account: (time) => ({
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '16505551111', phone_number_id: '123456123' },
    contacts: [{ profile: { name: 'test user name' }, wa_id: '16315551181' }],
    messages: [{ from: '16315551181', id: 'wamid.ABGGFlA5Fpa', timestamp: String(time), text: { body: 'this is a text message' }, type: 'text' }],
  }),
}

const sample = (type: string) => {
  const [object = 'page', field = 'feed'] = type.split('.')
  const time = Math.floor(Date.now() / 1000)
  const value = (SAMPLE_VALUES[object] ?? SAMPLE_VALUES.page!)(time)
  return jsonDraft({ object, entry: [{ id: '0', time, changes: [{ field, value }] }] }, { 'user-agent': 'facebookexternalua' }, 'http://localhost:8787/webhooks/meta')
}

export const meta = defineProvider({
  name: 'meta',
  title: 'Meta (Facebook, Instagram, WhatsApp)',
  docs: DOCS,
  options: z.object({
    /** The app secret. */
    secrets: secretsOption,
    /** The Verify Token entered in the App Dashboard, answered in the GET verification request (default: none; verification requests are refused). */
    verifyToken: z.string().min(1).optional(),
  }),
  methods: ['GET', 'POST'],
  handshake: 'GET hub.mode=subscribe verification (hub.verify_token → hub.challenge)',

  verify: (req, { secrets }) => verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is the secret the App Secret of the app that owns the subscription, and is the raw body signed unchanged?'),

  // https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
  challenge(req, { verifyToken }) {
    if (req.method !== 'GET' || !req.query.has('hub.mode')) return undefined
    if (req.query.get('hub.mode') !== 'subscribe') return reject('bad-request', 'hub.mode should be "subscribe"')
    const presented = req.query.get('hub.verify_token')
    if (!presented) return reject('missing-token', 'expected hub.verify_token')
    if (verifyToken === undefined) return reject('bad-token', 'set `verifyToken` to the Verify Token entered in the App Dashboard')
    if (!tokenEqual(presented, verifyToken)) return reject('bad-token', 'hub.verify_token does not match `verifyToken`')
    const challenge = req.query.get('hub.challenge')
    if (!challenge) return reject('bad-request', 'expected hub.challenge')
    return reply(challenge)
  },

  // Meta sends no delivery id and batches entries; a retry resends the same bytes, so the body's
  // SHA-256 identifies the delivery.
  describe(req) {
    const body = req.json()
    const object = str(pick(body, 'object'))
    const entry = pick(body, 'entry.0')
    const field = str(pick(entry, 'changes.0.field')) ?? (pick(entry, 'messaging') !== undefined ? 'messaging' : pick(entry, 'standby') !== undefined ? 'standby' : undefined)
    return {
      deliveryId: bodyDigestId(req),
      type: object && field ? `${object}.${field}` : object,
      occurredAt: toDate(pick(entry, 'time')),
    }
  },

  redact: () => ({ query: ['hub.verify_token'] }),

  sample: (type = 'page.feed') => sample(type),

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})

/** The same scheme under the names people look for. */
const alias = (name: string, title: string, defaultType: string): Provider => ({
  ...meta,
  name,
  title,
  sample: (type = defaultType) => ({ ...sample(type), url: `http://localhost:8787/webhooks/${name}` }),
})

export const facebook = alias('facebook', 'Facebook', 'page.feed')
export const instagram = alias('instagram', 'Instagram', 'instagram.comments')
export const whatsapp = alias('whatsapp', 'WhatsApp', 'whatsapp_business_account.messages')
