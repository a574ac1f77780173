import { z } from 'zod'
import { defineProvider, jsonDraft, pick, reply, secretsOption, signHmac, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://www.dropbox.com/developers/reference/webhooks
const DOCS = 'https://www.dropbox.com/developers/reference/webhooks'

const SCHEME: HmacScheme = { header: 'x-dropbox-signature', algorithm: 'sha256', encoding: 'hex' }

export const dropbox = defineProvider({
  name: 'dropbox',
  title: 'Dropbox',
  docs: DOCS,
  options: z.object({
    /** The app secret (App Console → your app → Settings). */
    secrets: secretsOption,
  }),
  methods: ['GET', 'POST'],
  handshake: 'GET ?challenge= echoed as text/plain',

  challenge(req) {
    const challenge = req.method === 'GET' ? req.query.get('challenge') : null
    if (challenge === null) return undefined
    // Dropbox requires both headers on the echo, so the response cannot be sniffed as HTML.
    return reply(challenge, 200, { 'content-type': 'text/plain', 'x-content-type-options': 'nosniff' })
  },

  verify: (req, { secrets }) => verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is the sender signing the exact raw body, and is the secret the app secret from the App Console?'),

  // Notifications only say that something changed for some accounts and carry no id: identical bodies are
  // distinct notifications, so no deliveryId (no dedupe).
  describe: (req) => ({ type: pick(req.json(), 'list_folder') !== undefined ? 'list_folder' : undefined }),

  sample: () =>
    jsonDraft(
      { list_folder: { accounts: ['dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc'] }, delta: { users: [12345678] } },
      { 'user-agent': 'DropboxWebhooks/1.0' },
      'http://localhost:8787/webhooks/dropbox',
    ),

  sign: (draft, { secrets }) => withHeaders(draft, { 'x-dropbox-signature': signHmac(SCHEME, secrets[0]!, draft.body) }),
})
