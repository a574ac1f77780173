import { z } from 'zod'
import { defineProvider, jsonDraft, pick, reject, secretsOption, signHmac, str, toDate, verifyHmacHeader, withHeaders } from './kit.ts'

// https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks
const DOCS = 'https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks'

/** WebSub `method=signature` methods this module can check. Jira Cloud and Data Center sign with sha256. */
const METHODS = ['sha1', 'sha256', 'sha512'] as const
type Method = (typeof METHODS)[number]

const scheme = (algorithm: Method) => ({ header: 'x-hub-signature', algorithm, encoding: 'hex' as const, prefix: `${algorithm}=` })

export const jira = defineProvider({
  name: 'jira',
  title: 'Jira / Atlassian',
  docs: DOCS,
  options: z.object({
    /** The secret given when the admin webhook was registered (Jira settings → System → WebHooks). */
    secrets: secretsOption,
    /** WebSub methods accepted in X-Hub-Signature (default: ['sha256'], the one Jira uses). */
    algorithms: z.array(z.enum(METHODS)).min(1).default(['sha256']),
  }),

  verify(req, { secrets, algorithms }) {
    const header = req.headers.get('x-hub-signature')
    if (!header) return reject('missing-signature', 'expected X-Hub-Signature; only admin webhooks registered with a secret are signed')
    const equals = header.indexOf('=')
    const method = equals > 0 ? header.slice(0, equals).trim() : ''
    const algorithm = algorithms.find((a) => a === method)
    if (!algorithm) return reject('malformed-signature', `X-Hub-Signature should be method=signature with method one of ${algorithms.join(', ')}`)
    return verifyHmacHeader(req, secrets, scheme(algorithm), [req.body], 'is the sender signing the exact raw body, and is the secret the one given when the webhook was registered?')
  },

  describe(req) {
    const body = req.json()
    return {
      deliveryId: req.headers.get('x-atlassian-webhook-identifier') ?? undefined,
      type: str(pick(body, 'webhookEvent')),
      occurredAt: toDate(pick(body, 'timestamp')),
    }
  },

  sample(type = 'jira:issue_created') {
    const timestamp = Date.now()
    return jsonDraft(
      {
        timestamp,
        webhookEvent: type,
        issue_event_type_name: 'issue_created',
        user: { accountId: '5b10a2844c20165700ede21g', displayName: 'Alice' },
        issue: { id: '10002', key: 'TEST-2', self: 'https://example.atlassian.net/rest/api/2/issue/10002', fields: { summary: 'Webhooks arrive twice', issuetype: { name: 'Bug' }, project: { key: 'TEST' } } },
      },
      { 'user-agent': 'Atlassian Webhook HTTP Client', 'x-atlassian-webhook-identifier': `${timestamp}_10001_${Math.floor(Math.random() * 1000)}`, 'x-atlassian-webhook-flow': 'Primary' },
      'http://localhost:8787/webhooks/jira',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { 'x-hub-signature': signHmac(scheme('sha256'), secrets[0]!, draft.body) }),
})
