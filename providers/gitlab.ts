import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { accept, anyTokenEqual, decodeDigest, defineProvider, jsonDraft, pick, reject, secretsOption, str, toleranceOption, triedHint, withHeaders } from './kit.ts'
import { signStandardWebhook, verifyStandardWebhook } from './standard-webhooks.ts'

/** GitLab's signing tokens follow Standard Webhooks (GitLab MR !230944), whose libraries allow 5 minutes. */
const TOLERANCE_SECONDS = 5 * 60
/** A signing token (Standard Webhooks secret) starts with this; any other secret is a Secret token. */
const SIGNING_PREFIX = 'whsec_'

// https://docs.gitlab.com/user/project/integrations/webhooks/
export const gitlab = defineProvider({
  name: 'gitlab',
  title: 'GitLab',
  docs: 'https://docs.gitlab.com/user/project/integrations/webhooks/',
  // GitLab sends webhook payloads up to 25 MB (larger ones are not sent: gitlab-org/gitlab MR !38687).
  maxBodyBytes: 25 * 1024 * 1024,
  options: z.object({
    /**
     * The webhook's Secret token(s), sent as-is in X-Gitlab-Token, and/or its signing token(s)
     * (`whsec_…`), which sign the delivery in `webhook-signature`. Once a signing token is configured,
     * every delivery must carry a valid signature: a leaked Secret token cannot stand in for it.
     */
    secrets: secretsOption.refine(
      (secrets) => secrets.every((s) => !s.startsWith(SIGNING_PREFIX) || decodeDigest(s.slice(SIGNING_PREFIX.length), 'base64')?.length),
      'a signing token should be whsec_ followed by base64, as GitLab shows it',
    ),
    /** Accepted clock difference for webhook-timestamp on signed deliveries, in seconds (default: 300). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify(req, { secrets, toleranceSeconds }, now) {
    const signingTokens = secrets.filter((s) => s.startsWith(SIGNING_PREFIX))
    if (signingTokens.length > 0) {
      if (!req.headers.get('webhook-signature'))
        return reject('missing-signature', 'a signing token (whsec_…) is configured, so GitLab must send webhook-signature; is the signing token set on the GitLab webhook?')
      return verifyStandardWebhook(req, { secrets: signingTokens, toleranceSeconds }, now, { headers: 'webhook' })
    }
    const token = req.headers.get('x-gitlab-token')
    if (token === null) return reject('missing-token', 'expected X-Gitlab-Token; set a Secret token on the GitLab webhook')
    return anyTokenEqual(token, secrets) ? accept : reject('bad-token', triedHint(secrets.length, 'is X-Gitlab-Token the Secret token of this GitLab webhook?'))
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

  sign(draft, { secrets, toleranceSeconds }, now) {
    const token = secrets.find((s) => !s.startsWith(SIGNING_PREFIX))
    const signingToken = secrets.find((s) => s.startsWith(SIGNING_PREFIX))
    const withToken = token ? withHeaders(draft, { 'x-gitlab-token': token }) : draft
    if (!signingToken) return withToken
    // GitLab's webhook-id is the delivery's Idempotency-Key.
    const id = draft.headers['idempotency-key'] ?? randomUUID()
    return signStandardWebhook(withHeaders(withToken, { 'webhook-id': id }), { secrets: [signingToken], toleranceSeconds }, now, { name: 'gitlab', headers: 'webhook' })
  },
})
