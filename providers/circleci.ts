import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { accept, anyDigestMatches, decodeDigests, defineProvider, hmac, jsonDraft, parseKeyValueHeader, pick, reject, secretsOption, str, toDate, triedHint, withHeaders, RAW_BODY_HINT } from './kit.ts'

// https://circleci.com/docs/webhooks/#validate-webhooks
export const circleci = defineProvider({
  name: 'circleci',
  title: 'CircleCI',
  docs: 'https://circleci.com/docs/webhooks/#validate-webhooks',
  options: z.object({ secrets: secretsOption }),

  verify(req, { secrets }) {
    const header = req.headers.get('circleci-signature')
    if (!header) return reject('missing-signature', 'expected a circleci-signature header (set a Secret token on the webhook)')
    // "v1=<hex>", possibly alongside other versions ("v1=…,v2=…"): unknown versions are ignored.
    const presented = decodeDigests(parseKeyValueHeader(header, /,/).get('v1'), 'hex', 32)
    if (presented.length === 0) return reject('malformed-signature', 'circleci-signature should hold "v1=" followed by a hex HMAC-SHA256 digest')
    const ok = anyDigestMatches(presented, secrets.map((secret) => hmac('sha256', secret, req.body)))
    return ok ? accept : reject('mismatch', triedHint(secrets.length, RAW_BODY_HINT))
  },

  describe(req) {
    const body = req.json()
    return {
      deliveryId: str(pick(body, 'id')),
      type: str(pick(body, 'type')) ?? req.headers.get('circleci-event-type') ?? undefined,
      occurredAt: toDate(pick(body, 'happened_at')),
    }
  },

  sample(type = 'workflow-completed') {
    const id = randomUUID()
    const job = type === 'job-completed'
    return jsonDraft(
      {
        type,
        id,
        happened_at: '2024-05-14T22:49:34.317Z',
        webhook: { id: 'cf8c4fdd-0587-4da1-b4ca-4846e9640af9', name: 'Sample Webhook' },
        project: { id: '84996744-a854-4f5e-aea3-04e2851dc1d2', name: 'webhook-service', slug: 'github/circleci/webhook-service' },
        organization: { id: 'f22b6566-597d-46d5-ba74-99ef5bb3d85c', name: 'circleci' },
        workflow: {
          id: 'fda08377-fe7e-46b1-8992-3a7aaecac9c3',
          name: 'build-test-deploy',
          created_at: '2024-05-14T22:49:03.616Z',
          stopped_at: '2024-05-14T22:49:34.170Z',
          url: 'https://app.circleci.com/pipelines/github/circleci/webhook-service/130/workflows/fda08377-fe7e-46b1-8992-3a7aaecac9c3',
          status: 'success',
        },
        ...(job ? { job: { id: '8bd26a3b-3d2a-4ddc-bc7a-b8f2cb3d2f8d', name: 'test', number: 4, started_at: '2024-05-14T22:49:05.000Z', stopped_at: '2024-05-14T22:49:30.000Z', status: 'success' } } : {}),
        pipeline: {
          id: '1285fe1d-d3a6-44fc-8886-8979558254c4',
          number: 130,
          created_at: '2024-05-14T22:49:03.544Z',
          trigger: { type: 'webhook' },
          vcs: {
            provider_name: 'github',
            origin_repository_url: 'https://github.com/circleci/webhook-service',
            target_repository_url: 'https://github.com/circleci/webhook-service',
            revision: '1dc6aa69429bff4806ad6afe58d3d8f57e25973e',
            branch: 'main',
            commit: { subject: 'Description of change', author: { name: 'Author Name', email: 'author.email@example.com' } },
          },
        },
      },
      { 'user-agent': 'CircleCI-Webhook/1.0', 'circleci-event-type': type },
      'http://localhost:8787/webhooks/circleci',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { 'circleci-signature': `v1=${hmac('sha256', secrets[0]!, draft.body).toString('hex')}` }),
})
