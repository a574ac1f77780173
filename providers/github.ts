import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { anyEqual, defineProvider, signHmac, jsonDraft, reject, secretsOption, triedHint, RAW_BODY_HINT, withHeaders, accept } from './kit.ts'

// https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
export const github = defineProvider({
  name: 'github',
  title: 'GitHub',
  docs: 'https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries',
  // "Payloads are capped at 25 MB" (docs.github.com, webhook events and payloads): a push of many
  // files runs to several MB. GitHub does not redeliver a delivery refused with 413.
  maxBodyBytes: 25 * 1024 * 1024,
  options: z.object({
    secrets: secretsOption,
    /** Accept the legacy SHA-1 `X-Hub-Signature` when no SHA-256 header is sent (default: false). */
    allowSha1: z.boolean().default(false),
  }),

  verify(req, { secrets, allowSha1 }) {
    const sha256 = req.headers.get('x-hub-signature-256')
    const header = sha256 ?? (allowSha1 ? req.headers.get('x-hub-signature') : null)
    if (!header)
      return reject('missing-signature', allowSha1 ? 'expected X-Hub-Signature-256 or X-Hub-Signature' : 'expected X-Hub-Signature-256 (set allowSha1 to accept the legacy X-Hub-Signature)')
    const algorithm = sha256 ? 'sha256' : 'sha1'
    if (!FORMAT[algorithm].test(header))
      return reject('malformed-signature', `expected "${algorithm}=" followed by a hex digest`)
    const ok = anyEqual(header.toLowerCase(), secrets.map((secret) => sign(algorithm, secret, req.body)))
    return ok ? accept : reject('mismatch', triedHint(secrets.length, RAW_BODY_HINT))
  },

  describe: (req) => ({
    deliveryId: req.headers.get('x-github-delivery') ?? undefined,
    type: req.headers.get('x-github-event') ?? undefined,
  }),

  sample: (type = 'push') =>
    jsonDraft(
      {
        ref: 'refs/heads/main',
        before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
        after: '59b20b8d5c6ff8d09518216e9a9b8f1d2f5a8c0e',
        repository: { id: 1296269, full_name: 'octocat/Hello-World', private: false },
        pusher: { name: 'octocat', email: 'octocat@github.com' },
        sender: { login: 'octocat', id: 1 },
      },
      { 'user-agent': 'GitHub-Hookshot/044aadd', 'x-github-event': type, 'x-github-delivery': randomUUID(), 'x-github-hook-id': '292430182' },
    ),

  sign: (draft, { secrets }) => withHeaders(draft, { 'x-hub-signature-256': sign('sha256', secrets[0]!, Buffer.from(draft.body)) }),
})

const FORMAT = { sha256: /^sha256=[0-9a-f]{64}$/i, sha1: /^sha1=[0-9a-f]{40}$/i }

const sign = (algorithm: 'sha256' | 'sha1', secret: string, body: Uint8Array) => signHmac({ header: '', algorithm, encoding: 'hex', prefix: `${algorithm}=` }, secret, body)

