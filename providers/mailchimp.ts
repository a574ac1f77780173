import { z } from 'zod'
import { accept, anyTokenEqual, bodyDigestId, defineProvider, formDraft, parseUtcDateTime, reject, reply, secretsOption, type RawRequest, type Verdict } from './kit.ts'

// https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/
const DOCS = 'https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/'

/**
 * Mailchimp signs nothing: the webhook URL registered in Mailchimp carries a secret token in its query
 * (`https://…/webhooks/mailchimp?secret=…`, the pattern Mailchimp support suggests).
 */
export const mailchimp = defineProvider({
  name: 'mailchimp',
  title: 'Mailchimp (Marketing)',
  docs: DOCS,
  options: z.object({
    /** Tokens accepted in the query parameter; put one in the webhook URL registered in Mailchimp. */
    secrets: secretsOption,
    /** The query parameter carrying the token (default: 'secret'). */
    queryParam: z.string().min(1).default('secret'),
  }),
  // Mailchimp checks the URL with a GET when the webhook is created.
  methods: ['GET', 'POST'],
  handshake: 'GET (or empty POST) URL check answered 200 once the token matches',

  challenge(req, opts) {
    if (req.method !== 'GET' && !(req.method === 'POST' && req.body.length === 0)) return undefined
    const verdict = checkToken(req, opts)
    return verdict.ok ? reply('') : verdict
  },

  verify: (req, opts) => checkToken(req, opts),

  describe(req) {
    const form = req.form()
    // No delivery id: the body hash stands in (it holds fired_at and the member's data), so retries dedupe.
    return {
      deliveryId: bodyDigestId(req),
      type: form.get('type') || undefined,
      occurredAt: parseUtcDateTime(form.get('fired_at')),
    }
  },

  redact: ({ queryParam }) => ({ query: [queryParam] }),

  sample(type = 'subscribe') {
    const firedAt = new Date().toISOString().slice(0, 19).replace('T', ' ')
    const member = { 'data[id]': '8a25ff1d98', 'data[list_id]': 'a6b5da1054', 'data[email]': 'api@mailchimp.com', 'data[email_type]': 'html' }
    const merges = { 'data[merges][EMAIL]': 'api@mailchimp.com', 'data[merges][FNAME]': 'Mailchimp', 'data[merges][LNAME]': 'API', 'data[merges][INTERESTS]': 'Group1,Group2' }
    const data: Record<string, string> =
      type === 'campaign'
        ? { 'data[id]': '5aa2102003', 'data[subject]': 'Test Campaign Subject', 'data[status]': 'sent', 'data[reason]': '', 'data[list_id]': 'a6b5da1054' }
        : type === 'upemail'
          ? { 'data[list_id]': 'a6b5da1054', 'data[new_id]': '51da8c3259', 'data[new_email]': 'api+new@mailchimp.com', 'data[old_email]': 'api+old@mailchimp.com' }
          : type === 'cleaned'
            ? { 'data[list_id]': 'a6b5da1054', 'data[campaign_id]': '4fjk2ma9xd', 'data[reason]': 'hard', 'data[email]': 'api+cleaned@mailchimp.com' }
            : type === 'unsubscribe'
              ? { 'data[action]': 'unsub', 'data[reason]': 'manual', ...member, 'data[ip_opt]': '10.20.10.30', 'data[campaign_id]': 'cb398d21d2', ...merges }
              : { ...member, 'data[ip_opt]': '10.20.10.30', 'data[ip_signup]': '10.20.10.30', ...merges }
    return formDraft({ type, fired_at: firedAt, ...data }, { 'user-agent': 'MailChimp' }, 'http://localhost:8787/webhooks/mailchimp')
  },

  /** Puts the first token in the URL's query, as it sits in the URL registered in Mailchimp. */
  sign(draft, { secrets, queryParam }) {
    const url = new URL(draft.url)
    url.searchParams.set(queryParam, secrets[0]!)
    return { ...draft, url: url.toString() }
  },
})

function checkToken(req: RawRequest, { secrets, queryParam }: { secrets: string[]; queryParam: string }): Verdict {
  const token = req.query.get(queryParam)
  if (!token) return reject('missing-token', `expected the token in the ?${queryParam}= query parameter of the webhook URL registered in Mailchimp`)
  return anyTokenEqual(token, secrets) ? accept : reject('bad-token', `the ?${queryParam}= token matches none of the ${secrets.length} configured secret(s)`)
}
