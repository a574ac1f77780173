import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, describeJson, jsonDraft, secretsOption, signHmac, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks
const DOCS = 'https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks'

// Vercel still signs with HMAC-SHA1 (hex) over the raw body.
const SCHEME: HmacScheme = { header: 'x-vercel-signature', algorithm: 'sha1', encoding: 'hex' }

export const vercel = defineProvider({
  name: 'vercel',
  title: 'Vercel',
  docs: DOCS,
  options: z.object({
    /** The webhook's secret (account webhooks) or the integration's client secret (integration webhooks). */
    secrets: secretsOption,
  }),

  verify: (req, { secrets }) =>
    verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is the secret the webhook secret (or, for an integration, its client secret), and is the raw body signed unchanged?'),

  describe: describeJson({ id: 'id', type: 'type', time: 'createdAt' }),

  sample: (type = 'deployment.created') =>
    jsonDraft(
      {
        id: randomBytes(12).toString('hex'),
        type,
        createdAt: Date.now(),
        region: 'sfo1',
        payload: {
          team: { id: 'team_1a2b3c4d5e6f7g8h9i0j1k2l' },
          user: { id: 'zTuNVUXEAvvnNN3IaqinkyMw' },
          deployment: { id: 'dpl_2euZBFqxYdDMDG1jTrHFnNZ2eUVa', meta: {}, url: 'my-app-git-main-acme.vercel.app', name: 'my-app' },
          links: { deployment: 'https://vercel.com/acme/my-app/2euZBFqxYdDMDG1jTrHFnNZ2eUVa', project: 'https://vercel.com/acme/my-app' },
          target: 'production',
          project: { id: 'prj_12HKQaOmR5t5Uy6vdcQsNIiZgHGB' },
          plan: 'pro',
          regions: ['sfo1'],
        },
      },
      {},
      'http://localhost:8787/webhooks/vercel',
    ),

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})
