import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import {
  defineProvider,
  jsonDraft,
  pick,
  reject,
  reply,
  secretsOption,
  signTimestampedHmac,
  toDate,
  toleranceOption,
  verifyTimestampedHmac,
  withHeaders,
  type RawRequest,
  type TimestampedHmacScheme,
  type Verdict,
} from './kit.ts'

// https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message
const DOCS = 'https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message'

/** Twitch: "make sure the value in the timestamp field isn't older than 10 minutes". */
const TOLERANCE_SECONDS = 10 * 60

const ID_HEADER = 'twitch-eventsub-message-id'
const SIGNATURE_HEADER = 'twitch-eventsub-message-signature'

/** RFC 3339 as Twitch sends it (nanosecond fraction, e.g. 2023-07-19T10:11:12.634234626Z). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i

/** `sha256=` hex HMAC-SHA256 of message id + timestamp + raw body: the scheme for one message id. */
const scheme = (id: string): TimestampedHmacScheme => ({
  header: SIGNATURE_HEADER,
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: 'sha256=',
  timestampHeader: 'twitch-eventsub-message-timestamp',
  toSeconds: (timestamp) => (RFC3339.test(timestamp) ? Date.parse(timestamp) : NaN) / 1000,
  signedPayload: (timestamp, _seconds, body) => [id, timestamp, body],
  hints: {
    'missing-signature': 'expected Twitch-Eventsub-Message-Signature',
    'missing-timestamp': 'expected Twitch-Eventsub-Message-Timestamp',
    'malformed-timestamp': 'Twitch-Eventsub-Message-Timestamp should be an RFC 3339 time',
    mismatch: 'is the secret the one passed as transport.secret when the subscription was created?',
  },
})

function verifyTwitch(req: RawRequest, secrets: string[], toleranceSeconds: number, now: Date): Verdict {
  const id = req.headers.get(ID_HEADER)
  if (req.headers.get(SIGNATURE_HEADER) && !id) return reject('bad-request', 'expected Twitch-Eventsub-Message-Id (it is part of the signed message)')
  return verifyTimestampedHmac(req, secrets, scheme(id ?? ''), now, toleranceSeconds)
}

export const twitch = defineProvider({
  name: 'twitch',
  title: 'Twitch EventSub',
  docs: DOCS,
  options: z.object({
    secrets: secretsOption,
    /** Accepted distance between Twitch-Eventsub-Message-Timestamp and now, in seconds (default: 600). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),
  handshake: 'webhook_callback_verification challenge',

  verify: (req, { secrets, toleranceSeconds }, now) => verifyTwitch(req, secrets, toleranceSeconds, now),

  // https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#responding-to-a-challenge-request
  // Signed like a notification; answered with the raw challenge as text/plain. Revocations are stored.
  challenge(req, { secrets, toleranceSeconds }, now) {
    if (req.headers.get('twitch-eventsub-message-type') !== 'webhook_callback_verification') return undefined
    const verdict = verifyTwitch(req, secrets, toleranceSeconds, now)
    if (!verdict.ok) return verdict
    const challenge = pick(req.json(), 'challenge')
    if (typeof challenge !== 'string' || challenge === '') return reject('bad-request', 'webhook_callback_verification without a challenge')
    return reply(challenge)
  },

  // A revocation is typed 'revocation' (its subscription type is in the body) so handlers can tell it apart.
  describe: (req) => ({
    deliveryId: req.headers.get(ID_HEADER) ?? undefined,
    type:
      req.headers.get('twitch-eventsub-message-type') === 'revocation' ? 'revocation' : (req.headers.get('twitch-eventsub-subscription-type') ?? undefined),
    occurredAt: toDate(req.headers.get('twitch-eventsub-message-timestamp')),
  }),

  sample: (type = 'channel.follow') =>
    jsonDraft(
      {
        subscription: {
          id: randomUUID(),
          type,
          version: '2',
          status: 'enabled',
          cost: 0,
          condition: { broadcaster_user_id: '1337', moderator_user_id: '1337' },
          transport: { method: 'webhook', callback: 'https://example.com/webhooks/callback' },
          created_at: '2019-11-16T10:11:12.634234626Z',
        },
        event: {
          user_id: '1234',
          user_login: 'cool_user',
          user_name: 'Cool_User',
          broadcaster_user_id: '1337',
          broadcaster_user_login: 'cooler_user',
          broadcaster_user_name: 'Cooler_User',
          followed_at: new Date().toISOString(),
        },
      },
      {
        'twitch-eventsub-message-id': randomUUID(),
        'twitch-eventsub-message-retry': '0',
        'twitch-eventsub-message-type': 'notification',
        'twitch-eventsub-subscription-type': type,
        'twitch-eventsub-subscription-version': '2',
      },
      'http://localhost:8787/webhooks/twitch',
    ),

  sign(draft, { secrets }, now) {
    const id = draft.headers[ID_HEADER] ?? randomUUID()
    // Twitch sends nanosecond precision.
    return withHeaders(draft, { [ID_HEADER]: id, ...signTimestampedHmac(scheme(id), secrets[0]!, now.toISOString().replace('Z', '000000Z'), draft.body) })
  },
})
