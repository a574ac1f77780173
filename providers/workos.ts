import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import {
  defineProvider,
  describeJson,
  jsonDraft,
  parseIntStrict,
  secretsOption,
  signTimestampedHeader,
  toleranceOption,
  verifyTimestampedHeader,
  withHeaders,
  type RequestDraft,
  type TimestampedHeaderScheme,
} from './kit.ts'

// https://workos.com/docs/events/data-syncing/webhooks
const DOCS = 'https://workos.com/docs/events/data-syncing/webhooks'

/** The SDKs' default window (`tolerance = 180000` ms in @workos-inc/node, `DEFAULT_TOLERANCE = 180` s in workos-ruby). */
const TOLERANCE_SECONDS = 3 * 60

/** `t=<ms>, v1=<hex>`: HMAC-SHA256 over `<t>.<raw body>`, t in milliseconds. */
const SCHEME: TimestampedHeaderScheme = {
  header: 'workos-signature',
  separator: ', ',
  toSeconds: (timestamp) => {
    const ms = parseIntStrict(timestamp)
    return ms < 0 ? NaN : ms / 1000
  },
  hints: {
    'missing-signature': 'expected WorkOS-Signature',
    'missing-timestamp': 'WorkOS-Signature should start with "t=<milliseconds>"',
    'malformed-timestamp': 'the t= of WorkOS-Signature should be milliseconds since the epoch',
    'malformed-signature': 'WorkOS-Signature should hold "v1=" followed by a hex HMAC-SHA256 digest',
    mismatch: 'is each secret the endpoint\'s Webhook Secret from the WorkOS dashboard, and is the raw body signed unchanged?',
  },
}

export const workos = defineProvider({
  name: 'workos',
  title: 'WorkOS',
  docs: DOCS,
  options: z.object({
    secrets: secretsOption,
    /** Accepted distance between the signature's `t` and now, in seconds (default: 180). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify: (req, { secrets, toleranceSeconds }, now) => verifyTimestampedHeader(req, secrets, SCHEME, now, toleranceSeconds),

  describe: describeJson({ id: 'id', type: 'event', time: 'created_at' }),

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

  sign: (draft: RequestDraft, { secrets }, now) => withHeaders(draft, { [SCHEME.header]: signTimestampedHeader(SCHEME, secrets[0]!, String(now.getTime()), draft.body) }),
})

/** A ULID-shaped id (26 Crockford base32 characters), as WorkOS ids end with. */
function ulid(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
  return Array.from(randomBytes(26), (b) => alphabet[b % 32]).join('')
}
