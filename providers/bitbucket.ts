import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, jsonDraft, pick, secretsOption, signHmac, toDate, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// Bitbucket Cloud and Bitbucket Data Center sign alike: X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>.
const SCHEME: HmacScheme = { header: 'x-hub-signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' }

// https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks
export const bitbucket = defineProvider({
  name: 'bitbucket',
  title: 'Bitbucket',
  docs: 'https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks',
  options: z.object({ secrets: secretsOption }),

  verify: (req, { secrets }) =>
    verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is the secret the one set on the Bitbucket webhook, and is the exact raw body signed?'),

  describe: (req) => ({
    // Cloud sends X-Request-UUID (kept across its retries, counted by X-Attempt-Number); Data Center sends X-Request-Id.
    deliveryId: req.headers.get('x-request-uuid') ?? req.headers.get('x-request-id') ?? undefined,
    type: req.headers.get('x-event-key') ?? undefined,
    // Data Center payloads carry the event time; Cloud payloads do not.
    occurredAt: toDate(pick(req.json(), 'date')),
  }),

  sample(eventKey = 'repo:push') {
    const actor = { type: 'user', display_name: 'Emma', uuid: '{a54f16da-24e9-4d7f-a3a7-b1ba2cd98aa3}', account_id: '557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443', nickname: 'emma' }
    const repository = {
      type: 'repository',
      full_name: 'team_name/repo_name',
      name: 'repo_name',
      uuid: '{673a6070-3421-46c9-9d48-90745f7bfe8e}',
      is_private: true,
      links: { html: { href: 'https://bitbucket.org/team_name/repo_name' } },
      workspace: { type: 'workspace', slug: 'team_name', name: 'Team Name', uuid: '{d43f6b6a-6a3c-4a5f-a6d4-0e8a2f0c3b3e}' },
    }
    return jsonDraft(
      {
        actor,
        repository,
        push: {
          changes: [
            {
              old: { type: 'branch', name: 'main', target: { type: 'commit', hash: '1e65c05c1d5171631d92438a13901ca7dae9618c' } },
              new: { type: 'branch', name: 'main', target: { type: 'commit', hash: '709d658dc5b6d6afcd46049c2f332ee3f515a67d', message: 'Fix typo\n', date: '2024-05-14T10:01:12+00:00', author: { raw: 'Emma <emma@example.com>' } } },
              created: false,
              closed: false,
              forced: false,
              commits: [{ hash: '709d658dc5b6d6afcd46049c2f332ee3f515a67d', message: 'Fix typo\n' }],
              truncated: false,
            },
          ],
        },
      },
      {
        'user-agent': 'Bitbucket-Webhooks/2.0',
        'x-event-key': eventKey,
        'x-request-uuid': randomUUID(),
        'x-hook-uuid': '2d60a7ba-0c8d-4b5e-9f8c-3c8f0a2a4b10',
        'x-attempt-number': '1',
      },
      'http://localhost:8787/webhooks/bitbucket',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})
