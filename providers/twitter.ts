import { z } from 'zod'
import { bodyDigestId, defineProvider, hmac, jsonDraft, pick, reject, reply, secretsOption, signHmac, toDate, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://docs.x.com/x-api/webhooks/quickstart (Account Activity API: CRC check and x-twitter-webhooks-signature)
const DOCS = 'https://docs.x.com/x-api/webhooks/quickstart'

const SCHEME: HmacScheme = { header: 'x-twitter-webhooks-signature', algorithm: 'sha256', encoding: 'base64', prefix: 'sha256=' }

/** The activity keys of an Account Activity payload: `tweet_create_events`, `follow_events`, … and `user_event` (revocations). */
const activityKey = (body: unknown) =>
  body !== null && typeof body === 'object' ? Object.keys(body).find((k) => k.endsWith('_events') || k === 'user_event') : undefined

export const twitter = defineProvider({
  name: 'twitter',
  title: 'Twitter / X',
  docs: DOCS,
  options: z.object({
    /** The app's consumer secret (API key secret). The first one answers CRC checks. */
    secrets: secretsOption,
  }),
  methods: ['GET', 'POST'],
  handshake: 'GET crc_token challenge-response check',

  verify: (req, { secrets }) => verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is the secret the consumer secret (API key secret) of the app that registered the webhook?'),

  // The CRC check is not signed: answering it only proves we hold the consumer secret.
  challenge(req, { secrets }) {
    const token = req.method === 'GET' ? req.query.get('crc_token') : null
    if (token === null) return undefined
    if (token === '') return reject('bad-request', 'empty crc_token')
    return reply({ response_token: 'sha256=' + hmac('sha256', secrets[0]!, token).toString('base64') })
  },

  // The payload carries no delivery id; a retry resends the same bytes, so the body's SHA-256 identifies it.
  describe(req) {
    const body = req.json()
    const key = activityKey(body)
    const first = key ? (pick(body, `${key}.0`) ?? pick(body, key)) : undefined
    return {
      deliveryId: bodyDigestId(req),
      type: key,
      occurredAt: toDate(pick(first, 'timestamp_ms') ?? pick(first, 'created_timestamp')),
    }
  },

  sample: (type = 'favorite_events') =>
    jsonDraft(
      {
        for_user_id: '2244994945',
        [type]: [
          {
            id: 'a7ba59eab0bfcba386f7acedac279542',
            created_at: new Date().toUTCString(),
            timestamp_ms: Date.now(),
            favorited_status: { id_str: '1800000000000000000', text: 'Hello world', user: { id_str: '2244994945', screen_name: 'XDevelopers' } },
            user: { id_str: '3186181', screen_name: 'example_user' },
          },
        ],
      },
      {},
      'http://localhost:8787/webhooks/twitter',
    ),

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})
