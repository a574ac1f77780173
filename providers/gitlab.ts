import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import {
  accept,
  anyEqual,
  checkTimestamp,
  decodeDigest,
  defineProvider,
  hmac,
  jsonDraft,
  parseIntStrict,
  pick,
  reject,
  secretsOption,
  str,
  toleranceOption,
  triedHint,
  withHeaders,
  RAW_BODY_HINT,
  type RawRequest,
  type Verdict,
} from './kit.ts'

/** GitLab's signing tokens follow Standard Webhooks, whose libraries allow 5 minutes. */
const TOLERANCE_SECONDS = 5 * 60
/** A signing token (Standard Webhooks secret) starts with this; any other secret is a Secret token. */
const SIGNING_PREFIX = 'whsec_'

// https://docs.gitlab.com/user/project/integrations/webhooks/
export const gitlab = defineProvider({
  name: 'gitlab',
  title: 'GitLab',
  docs: 'https://docs.gitlab.com/user/project/integrations/webhooks/',
  options: z.object({
    /**
     * The webhook's Secret token(s), sent as-is in X-Gitlab-Token, and/or its signing token(s)
     * (`whsec_…`), which sign the delivery in `webhook-signature`. Once a signing token is configured,
     * every delivery must carry a valid signature: a leaked Secret token cannot stand in for it.
     */
    secrets: secretsOption,
    /** Accepted clock difference for webhook-timestamp on signed deliveries, in seconds (default: 300). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify(req, { secrets, toleranceSeconds }, now) {
    const signingKeys = secrets.filter((s) => s.startsWith(SIGNING_PREFIX)).map((s) => Buffer.from(s.slice(SIGNING_PREFIX.length), 'base64'))
    if (signingKeys.length > 0) return verifySignature(req, signingKeys, toleranceSeconds, now)
    const token = req.headers.get('x-gitlab-token')
    if (token === null) return reject('missing-token', 'expected X-Gitlab-Token; set a Secret token on the GitLab webhook')
    return anyEqual(token, secrets) ? accept : reject('bad-token', triedHint(secrets.length, 'is X-Gitlab-Token the Secret token of this GitLab webhook?'))
  },

  describe(req) {
    return {
      // Idempotency-Key stays the same across retries and manual resends; X-Gitlab-Webhook-UUID is new
      // for every request (older GitLab only); X-Gitlab-Event-UUID is shared by recursive hooks.
      deliveryId: req.headers.get('idempotency-key') ?? req.headers.get('x-gitlab-webhook-uuid') ?? undefined,
      type: req.headers.get('x-gitlab-event') ?? str(pick(req.json(), 'object_kind')),
    }
  },

  redact: () => ({ headers: ['x-gitlab-token'] }),

  sample(event = 'Push Hook') {
    const kind = event.replace(/ Hook$/, '').toLowerCase().replace(/ /g, '_')
    const project = {
      id: 15,
      name: 'Diaspora',
      web_url: 'https://gitlab.example.com/mike/diaspora',
      git_http_url: 'https://gitlab.example.com/mike/diaspora.git',
      namespace: 'Mike',
      path_with_namespace: 'mike/diaspora',
      default_branch: 'main',
    }
    const body =
      kind === 'push'
        ? {
            object_kind: 'push',
            event_name: 'push',
            before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
            after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
            ref: 'refs/heads/main',
            ref_protected: true,
            checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
            user_id: 4,
            user_name: 'John Smith',
            user_username: 'jsmith',
            project_id: 15,
            project,
            commits: [
              {
                id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
                message: 'fixed readme',
                timestamp: '2024-05-14T23:36:29+02:00',
                url: 'https://gitlab.example.com/mike/diaspora/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
                author: { name: 'GitLab dev user', email: 'gitlabdev@example.com' },
                added: ['CHANGELOG'],
                modified: ['app/controller/application.rb'],
                removed: [],
              },
            ],
            total_commits_count: 1,
          }
        : {
            object_kind: kind,
            event_type: kind,
            user: { id: 1, name: 'Administrator', username: 'root' },
            project,
            object_attributes: { id: 301, iid: 23, title: 'New API: create/update/delete file', state: 'opened', action: 'open', url: 'https://gitlab.example.com/mike/diaspora/-/issues/23' },
          }
    return jsonDraft(
      body,
      {
        'user-agent': 'GitLab/17.11.0',
        'x-gitlab-event': event,
        'x-gitlab-instance': 'https://gitlab.example.com',
        'x-gitlab-webhook-uuid': randomUUID(),
        'x-gitlab-event-uuid': randomUUID(),
        'idempotency-key': randomUUID(),
      },
      'http://localhost:8787/webhooks/gitlab',
    )
  },

  sign(draft, { secrets }, now) {
    const token = secrets.find((s) => !s.startsWith(SIGNING_PREFIX))
    const signingKey = secrets.find((s) => s.startsWith(SIGNING_PREFIX))
    const headers: Record<string, string> = token ? { 'x-gitlab-token': token } : {}
    if (signingKey) {
      const id = draft.headers['idempotency-key'] ?? randomUUID()
      const timestamp = String(Math.floor(now.getTime() / 1000))
      const signature = hmac('sha256', Buffer.from(signingKey.slice(SIGNING_PREFIX.length), 'base64'), `${id}.${timestamp}.`, draft.body).toString('base64')
      Object.assign(headers, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` })
    }
    return withHeaders(draft, headers)
  },
})

/**
 * A signing-token delivery: Standard Webhooks, HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>"
 * keyed with the base64-decoded token, sent as space-separated "v1,<base64>" entries.
 */
function verifySignature(req: RawRequest, keys: Buffer[], toleranceSeconds: number, now: Date): Verdict {
  const header = req.headers.get('webhook-signature')
  const id = req.headers.get('webhook-id')
  const timestamp = req.headers.get('webhook-timestamp')
  if (!header) return reject('missing-signature', 'a signing token (whsec_…) is configured, so GitLab must send webhook-signature; is the signing token set on the GitLab webhook?')
  if (!id) return reject('malformed-signature', 'expected webhook-id alongside webhook-signature')
  if (!timestamp) return reject('missing-timestamp', 'expected webhook-timestamp alongside webhook-signature')
  const seconds = parseIntStrict(timestamp)
  if (Number.isNaN(seconds)) return reject('malformed-timestamp', 'webhook-timestamp should be seconds since the epoch')
  const presented = header
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version]) => version === 'v1')
    .map(([, digest]) => decodeDigest(digest ?? '', 'base64'))
    .filter((digest) => digest?.length === 32) as Buffer[]
  if (presented.length === 0) return reject('malformed-signature', 'webhook-signature should hold "v1," followed by a base64 HMAC-SHA256 digest')
  const expected = keys.map((key) => hmac('sha256', key, `${id}.${timestamp}.`, req.body))
  const ok = presented.reduce((found, digest) => anyEqual(digest, expected) || found, false)
  if (!ok) return reject('mismatch', triedHint(keys.length, `signing tokens only; ${RAW_BODY_HINT}`))
  return checkTimestamp(seconds, now, toleranceSeconds) ?? accept
}
