import { randomBytes } from 'node:crypto'
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
  parseKeyValueHeader,
  pick,
  reject,
  secretsOption,
  str,
  toDate,
  toleranceOption,
  triedHint,
  withHeaders,
  type RequestDraft,
} from './kit.ts'

// https://workos.com/docs/events/data-syncing/webhooks
const DOCS = 'https://workos.com/docs/events/data-syncing/webhooks'

/** The SDKs' default window (`tolerance = 180000` ms in @workos-inc/node, `DEFAULT_TOLERANCE = 180` s in workos-ruby). */
const TOLERANCE_SECONDS = 3 * 60

const HEADER = 'workos-signature'

/** `t=<ms>, v1=<hex>`: HMAC-SHA256 over `<t>.<raw body>`, t in milliseconds. */
const computeSignature = (secret: string, timestamp: string, body: Uint8Array | string) => hmac('sha256', secret, `${timestamp}.`, body)

export const workos = defineProvider({
  name: 'workos',
  title: 'WorkOS',
  docs: DOCS,
  options: z.object({
    secrets: secretsOption,
    /** Accepted distance between the signature's `t` and now, in seconds (default: 180). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify(req, { secrets, toleranceSeconds }, now) {
    const header = req.headers.get(HEADER)
    if (header === null || header.trim() === '') return reject('missing-signature', 'expected WorkOS-Signature')
    const fields = parseKeyValueHeader(header, /,/)
    const timestamp = fields.get('t')?.[0]
    if (timestamp === undefined || timestamp === '') return reject('missing-timestamp', 'WorkOS-Signature should start with "t=<milliseconds>"')
    const ms = parseIntStrict(timestamp)
    if (Number.isNaN(ms) || ms < 0) return reject('malformed-timestamp', 'the t= of WorkOS-Signature should be milliseconds since the epoch')
    const presented = (fields.get('v1') ?? []).map((hex) => decodeDigest(hex, 'hex')).filter((digest): digest is Buffer => digest?.length === 32)
    if (presented.length === 0) return reject('malformed-signature', 'WorkOS-Signature should hold "v1=" followed by a hex HMAC-SHA256 digest')
    const stale = checkTimestamp(ms / 1000, now, toleranceSeconds)
    if (stale) return stale
    const candidates = secrets.map((secret) => computeSignature(secret, timestamp, req.body))
    let ok = false
    for (const digest of presented) ok = anyEqual(digest, candidates) || ok
    return ok ? accept : reject('mismatch', triedHint(secrets.length, 'is each secret the endpoint\'s Webhook Secret from the WorkOS dashboard, and is the raw body signed unchanged?'))
  },

  describe(req) {
    const body = req.json()
    return {
      deliveryId: str(pick(body, 'id')),
      type: str(pick(body, 'event')),
      occurredAt: toDate(pick(body, 'created_at')),
    }
  },

  sample(type = 'user.created') {
    const now = new Date().toISOString()
    return jsonDraft(
      {
        id: `event_${ulid()}`,
        event: type,
        data: {
          object: 'user',
          id: `user_${ulid()}`,
          email: 'todd@example.com',
          first_name: 'Todd',
          last_name: 'Rundgren',
          email_verified: false,
          profile_picture_url: null,
          created_at: now,
          updated_at: now,
        },
        created_at: now,
      },
      { 'user-agent': 'WorkOS' },
      'http://localhost:8787/webhooks/workos',
    )
  },

  sign(draft: RequestDraft, { secrets }, now) {
    const timestamp = String(now.getTime())
    return withHeaders(draft, { [HEADER]: `t=${timestamp}, v1=${computeSignature(secrets[0]!, timestamp, draft.body).toString('hex')}` })
  },
})

/** A ULID-shaped id (26 Crockford base32 characters), as WorkOS ids end with. */
function ulid(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
  return Array.from(randomBytes(26), (b) => alphabet[b % 32]).join('')
}
