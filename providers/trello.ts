import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, describeJson, jsonDraft, reply, secretsOption, signHmac, urlHint, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/#webhook-signatures
const DOCS = 'https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/#webhook-signatures'

/** base64(HMAC-SHA1(appSecret, body + callbackURL)), the callbackURL exactly as given when the webhook was created. */
const SCHEME: HmacScheme = { header: 'x-trello-webhook', algorithm: 'sha1', encoding: 'base64' }

export const trello = defineProvider({
  name: 'trello',
  title: 'Trello',
  docs: DOCS,
  options: z.object({
    /** The application's OAuth secret (trello.com/power-ups/admin → your app → API key → Secret), not the API key or a token. */
    secrets: secretsOption,
  }),
  methods: ['POST', 'HEAD', 'GET'],
  handshake: 'HEAD (or GET) URL check answered 200 when the webhook is created',

  // Trello refuses to create the webhook unless a HEAD of the callbackURL answers 200.
  challenge: (req) => (req.method === 'HEAD' || req.method === 'GET' ? reply('') : undefined),

  verify: (req, { secrets }) =>
    verifyHmacHeader(req, secrets, SCHEME, [req.body, req.url], `${urlHint(req.url)}, exactly as the callbackURL given to Trello; the secret is the OAuth secret, not the API key`),

  describe: describeJson({ id: 'action.id', type: 'action.type', time: 'action.date' }),

  sample(type = 'updateCard') {
    const id = randomBytes(12).toString('hex')
    return jsonDraft(
      {
        model: { id: '5a6f1b2c3d4e5f6a7b8c9d0e', name: 'Roadmap', url: 'https://trello.com/b/AbCdEfGh/roadmap' },
        action: {
          id,
          idMemberCreator: '4ee7deffe582acdec80000ac',
          type,
          date: new Date().toISOString(),
          data: { card: { id: '5a6f1b2c3d4e5f6a7b8c9d11', name: 'Ship webhooks', idShort: 42, shortLink: 'XyZ12345' }, board: { id: '5a6f1b2c3d4e5f6a7b8c9d0e', name: 'Roadmap', shortLink: 'AbCdEfGh' }, old: { name: 'Ship' } },
          memberCreator: { id: '4ee7deffe582acdec80000ac', fullName: 'Alice', username: 'alice' },
        },
      },
      { 'user-agent': 'Trello webhook' },
      'http://localhost:8787/webhooks/trello',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { 'x-trello-webhook': signHmac(SCHEME, secrets[0]!, draft.body, draft.url) }),
})
