import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import {
  defineProvider,
  hmac,
  jsonDraft,
  matchHmacHeader,
  pick,
  reject,
  reply,
  secretsOption,
  signTimestampedHmac,
  str,
  toDate,
  toleranceOption,
  verifyTimestampedHmac,
  withHeaders,
  type RawRequest,
  type TimestampedHmacScheme,
  type Verdict,
} from './kit.ts'

// https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events
const DOCS = 'https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events'

/** Zoom documents no window for `x-zm-request-timestamp`; five minutes is the usual replay bound. */
const TOLERANCE_SECONDS = 5 * 60

/** The bytes Zoom signs: `v0:{x-zm-request-timestamp}:{raw body}`. */
const signedPayload = (timestamp: string, body: Uint8Array | string) => ['v0:', timestamp, ':', body]

const SCHEME: TimestampedHmacScheme = {
  header: 'x-zm-signature',
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: 'v0=',
  timestampHeader: 'x-zm-request-timestamp',
  signedPayload: (timestamp, _seconds, body) => signedPayload(timestamp, body),
  hints: {
    'missing-signature': 'expected x-zm-signature',
    'missing-timestamp': 'expected x-zm-request-timestamp',
    'malformed-timestamp': 'x-zm-request-timestamp should be seconds since the epoch',
    mismatch: 'is the secret the Secret Token of this event subscription, and is the raw body signed unchanged?',
  },
}

const verifyZoom = (req: RawRequest, secrets: string[], toleranceSeconds: number, now: Date): Verdict => verifyTimestampedHmac(req, secrets, SCHEME, now, toleranceSeconds)

export const zoom = defineProvider({
  name: 'zoom',
  title: 'Zoom',
  docs: DOCS,
  options: z.object({
    secrets: secretsOption,
    /** Accepted distance between `x-zm-request-timestamp` and now, in seconds (default: 300). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),
  handshake: 'endpoint.url_validation (plainToken → encryptedToken)',

  verify: (req, { secrets, toleranceSeconds }, now) => verifyZoom(req, secrets, toleranceSeconds, now),

  // https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint
  // The validation request is signed like any event; it is answered with the plainToken hashed by the
  // secret that verified it (so a rotated secret answers for itself).
  challenge(req, { secrets, toleranceSeconds }, now) {
    if (pick(req.json(), 'event') !== 'endpoint.url_validation') return undefined
    const verdict = verifyZoom(req, secrets, toleranceSeconds, now)
    if (!verdict.ok) return verdict
    const plainToken = pick(req.json(), 'payload.plainToken')
    if (typeof plainToken !== 'string' || plainToken === '') return reject('bad-request', 'endpoint.url_validation without payload.plainToken')
    const match = matchHmacHeader(req, secrets, SCHEME, signedPayload(req.headers.get(SCHEME.timestampHeader)!, req.body))
    if (!match.ok) return match
    return reply({ plainToken, encryptedToken: hmac('sha256', match.secret, plainToken).toString('hex') })
  },

  // Zoom sends no delivery id; event + event_ts + the object (and participant, for participant events)
  // identify an event, and stay the same when Zoom retries it. `x-zm-trackingid` is the fallback.
  describe(req) {
    const body = req.json()
    const event = str(pick(body, 'event'))
    const eventTs = str(pick(body, 'event_ts'))
    const object = str(pick(body, 'payload.object.uuid')) ?? str(pick(body, 'payload.object.id'))
    const participant = str(pick(body, 'payload.object.participant.participant_uuid')) ?? str(pick(body, 'payload.object.participant.user_id'))
    const deliveryId = event && eventTs ? [event, eventTs, object, participant].filter((p) => p !== undefined).join(':') : (req.headers.get('x-zm-trackingid') ?? undefined)
    return { deliveryId, type: event, occurredAt: toDate(pick(body, 'event_ts')) }
  },

  sample: (type = 'meeting.started') =>
    jsonDraft(
      {
        event: type,
        event_ts: Date.now(),
        payload: {
          account_id: 'AAAAAABBBB',
          object: {
            id: '1234567890',
            uuid: randomUUID().replace(/-/g, '').slice(0, 22) + '==',
            host_id: 'x1yCzABCDEfg23HiJKl4mN',
            topic: 'My Meeting',
            type: 2,
            start_time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            timezone: 'America/Los_Angeles',
            duration: 60,
          },
        },
      },
      { 'user-agent': 'Zoom Marketplace/1.0a', 'x-zm-trackingid': 'v=2.0;clid=aw1;rid=' + randomUUID() },
      'http://localhost:8787/webhooks/zoom',
    ),

  sign: (draft, { secrets }, now) => withHeaders(draft, signTimestampedHmac(SCHEME, secrets[0]!, String(Math.floor(now.getTime() / 1000)), draft.body)),
})
