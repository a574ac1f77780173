import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, draftToRawRequest, jsonDraft, reject, secretsOption, signHmac, verifyHmacHeader, withHeaders, type HmacScheme, type RawRequest, type RequestDraft, type Verdict } from './kit.ts'

// https://docs.gitea.com/usage/webhooks
const GITEA_DOCS = 'https://docs.gitea.com/usage/webhooks'
// https://forgejo.org/docs/latest/user/webhooks/
const FORGEJO_DOCS = 'https://forgejo.org/docs/latest/user/webhooks/'

type Brand = 'gitea' | 'forgejo'

/** Header names a brand reads, in order of preference: Forgejo also sends every X-Gitea-* header. */
const HEADERS: Record<Brand, string[]> = { gitea: ['x-gitea'], forgejo: ['x-forgejo', 'x-gitea'] }

const scheme = (prefix: string): HmacScheme => ({ header: `${prefix}-signature`, algorithm: 'sha256', encoding: 'hex' })

const MISMATCH_HINT = 'is the secret the one set on the webhook, and is the raw payload delivered unchanged?'

/**
 * The bytes Gitea signs: the JSON payload. It is the body of a JSON POST, but the `payload` form field of a
 * form-encoded POST and the `payload` query parameter of a GET webhook (services/webhook/deliver.go).
 */
function signedPayload(req: RawRequest): string | Uint8Array | undefined {
  if (req.method === 'GET') return req.query.get('payload') ?? undefined
  if (/^application\/x-www-form-urlencoded/i.test(req.headers.get('content-type') ?? '')) return req.form().get('payload') ?? undefined
  return req.body
}

function verifyForge(brand: Brand, req: RawRequest, secrets: string[]): Verdict {
  // The first signature header present is the one checked: a bad X-Forgejo-Signature is not rescued by X-Gitea-Signature.
  const prefix = HEADERS[brand].find((p) => req.headers.has(`${p}-signature`))
  const expected = HEADERS[brand].map((p) => `${p}-signature`).join(' or ')
  // Gitea sends the header empty when the webhook has no secret.
  if (!prefix || !req.headers.get(`${prefix}-signature`)) return reject('missing-signature', `expected ${expected}; is a secret set on the webhook?`)
  const payload = signedPayload(req)
  if (payload === undefined) return reject('bad-request', `expected the JSON payload in the \`payload\` ${req.method === 'GET' ? 'query parameter' : 'form field'}`)
  return verifyHmacHeader(req, secrets, scheme(prefix), [payload], MISMATCH_HINT)
}

const header = (brand: Brand, req: RawRequest, name: string) => {
  for (const prefix of HEADERS[brand]) {
    const value = req.headers.get(`${prefix}-${name}`)
    if (value) return value
  }
  return undefined
}

function sample(brand: Brand, type = 'push'): RequestDraft {
  const id = randomUUID()
  const headers: Record<string, string> = {}
  for (const prefix of [...HEADERS[brand], 'x-gogs', 'x-github']) Object.assign(headers, { [`${prefix}-delivery`]: id, [`${prefix}-event`]: type, [`${prefix}-event-type`]: type })
  const user = { id: 1, login: 'gitea', username: 'gitea', full_name: 'Gitea', email: 'someone@example.com', avatar_url: 'https://gitea.example.com/avatars/1' }
  const payload = {
    ref: 'refs/heads/main',
    before: '28e1879d029cb852e4844d9c718537df08844e03',
    after: 'bffeb74224043ba2feb48d137756c8a9331c449a',
    compare_url: 'https://gitea.example.com/gitea/webhooks/compare/28e1879d029cb852e4844d9c718537df08844e03...bffeb74224043ba2feb48d137756c8a9331c449a',
    commits: [
      {
        id: 'bffeb74224043ba2feb48d137756c8a9331c449a',
        message: 'Webhooks Yay!',
        url: 'https://gitea.example.com/gitea/webhooks/commit/bffeb74224043ba2feb48d137756c8a9331c449a',
        author: { name: 'Gitea', email: 'someone@example.com', username: 'gitea' },
        committer: { name: 'Gitea', email: 'someone@example.com', username: 'gitea' },
        timestamp: '2017-03-13T13:52:11-04:00',
      },
    ],
    repository: { id: 140, owner: user, name: 'webhooks', full_name: 'gitea/webhooks', private: false, html_url: 'https://gitea.example.com/gitea/webhooks', default_branch: 'main' },
    pusher: user,
    sender: user,
  }
  // Gitea marshals payloads indented (api.Payloader.JSONPayload).
  const draft = jsonDraft(payload, { 'user-agent': 'Go-http-client/1.1', ...headers }, `http://localhost:8787/webhooks/${brand}`)
  return { ...draft, body: JSON.stringify(payload, null, 2) }
}

/** Signs a draft the way Gitea/Forgejo do: the same hex digest of the JSON payload in every vendor's header. */
function sign(brand: Brand, draft: RequestDraft, secret: string): RequestDraft {
  const payload = signedPayload(draftToRawRequest(draft))
  if (payload === undefined) throw new Error(`${brand}: the draft carries no \`payload\` to sign`)
  const digest = signHmac(scheme(''), secret, payload)
  const headers: Record<string, string> = { 'x-gogs-signature': digest, 'x-hub-signature-256': `sha256=${digest}` }
  for (const prefix of HEADERS[brand]) headers[`${prefix}-signature`] = digest
  return withHeaders(draft, headers)
}

const options = z.object({ secrets: secretsOption })

export const gitea = defineProvider({
  name: 'gitea',
  title: 'Gitea',
  docs: GITEA_DOCS,
  options,
  // A GET webhook carries its payload in the `payload` query parameter.
  methods: ['POST', 'GET'],
  verify: (req, { secrets }) => verifyForge('gitea', req, secrets),
  describe: (req) => ({ deliveryId: header('gitea', req, 'delivery'), type: header('gitea', req, 'event') }),
  sample: (type) => sample('gitea', type),
  sign: (draft, { secrets }) => sign('gitea', draft, secrets[0]!),
})

/** Forgejo: Gitea's scheme, with X-Forgejo-* headers preferred over the X-Gitea-* copies it also sends. */
export const forgejo = defineProvider({
  ...gitea,
  name: 'forgejo',
  title: 'Forgejo',
  docs: FORGEJO_DOCS,
  options,
  verify: (req, { secrets }) => verifyForge('forgejo', req, secrets),
  describe: (req) => ({ deliveryId: header('forgejo', req, 'delivery'), type: header('forgejo', req, 'event') }),
  sample: (type) => sample('forgejo', type),
  sign: (draft, { secrets }) => sign('forgejo', draft, secrets[0]!),
})
