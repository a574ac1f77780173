import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, jsonDraft, secretsOption, signHmac, toDate, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://docs.sentry.io/integrations/integration-platform/webhooks/#sentry-hook-signature
const DOCS = 'https://docs.sentry.io/integrations/integration-platform/webhooks/#sentry-hook-signature'

// Sentry's examples verify HMAC(JSON.stringify(parsed body)); the sender signs the bytes it sends, so we
// verify the raw body. `sentry-hook-timestamp` is not covered by the signature, so it is not checked.
const SCHEME: HmacScheme = { header: 'sentry-hook-signature', algorithm: 'sha256', encoding: 'hex' }

export const sentry = defineProvider({
  name: 'sentry',
  title: 'Sentry',
  docs: DOCS,
  options: z.object({
    /** The integration's Client Secret. */
    secrets: secretsOption,
  }),

  verify: (req, { secrets }) => verifyHmacHeader(req, secrets, SCHEME, [req.body], "is the secret the integration's Client Secret, and is the raw body signed unchanged?"),

  describe: (req) => ({
    deliveryId: req.headers.get('request-id') ?? undefined,
    type: req.headers.get('sentry-hook-resource') ?? undefined,
    occurredAt: toDate(req.headers.get('sentry-hook-timestamp')),
  }),

  sample: (type = 'issue') =>
    jsonDraft(
      {
        action: 'created',
        installation: { uuid: '7a485448-a9e2-4c85-8a3c-4f44175783c9' },
        data: {
          issue: {
            id: '1170820242',
            shortId: 'SENTRY-PLATFORM-1',
            title: 'ZeroDivisionError: division by zero',
            culprit: 'app.views.divide',
            level: 'error',
            status: 'unresolved',
            platform: 'python',
            project: { id: '1', name: 'sentry-platform', slug: 'sentry-platform', platform: 'python' },
            firstSeen: new Date().toISOString(),
            lastSeen: new Date().toISOString(),
            count: '1',
            userCount: 0,
          },
        },
        actor: { type: 'application', id: 'sentry', name: 'Sentry' },
      },
      { 'request-id': randomUUID(), 'sentry-hook-resource': type },
      'http://localhost:8787/webhooks/sentry',
    ),

  sign: (draft, { secrets }, now) =>
    withHeaders(draft, { 'sentry-hook-timestamp': String(Math.floor(now.getTime() / 1000)), [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})
