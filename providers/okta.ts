import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { accept, anyTokenEqual, defineProvider, jsonDraft, pick, reject, reply, secretsOption, str, toDate, triedHint, withHeaders, type RawRequest, type Verdict } from './kit.ts'

// https://developer.okta.com/docs/concepts/event-hooks/
const DOCS = 'https://developer.okta.com/docs/concepts/event-hooks/'

const CHALLENGE_HEADER = 'x-okta-verification-challenge'

/** An HTTP header name (RFC 9110 token), so `Headers.get` cannot throw on it. */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name')

// Okta event hooks carry no signature: Okta sends the hook's "Authentication secret" verbatim in the
// header named by its "Authentication field", on the one-time verification GET as on every POST.
function verifyOkta(req: RawRequest, secrets: string[], header: string): Verdict {
  const presented = req.headers.get(header)
  if (presented === null || presented === '') return reject('missing-token', `expected the ${header} header (the event hook's Authentication field)`)
  return anyTokenEqual(presented, secrets)
    ? accept
    : reject('bad-token', triedHint(secrets.length, `is each secret the event hook's Authentication secret, exactly as Okta sends it (including any "Basic " prefix)?`))
}

export const okta = defineProvider({
  name: 'okta',
  title: 'Okta Event Hooks',
  docs: DOCS,
  options: z.object({
    /** The event hook's Authentication secret(s), compared in constant time. */
    secrets: secretsOption,
    /** The header Okta sends the secret in: the event hook's Authentication field (default: 'authorization'). */
    header: headerName.default('authorization'),
  }),
  methods: ['GET', 'POST'],
  handshake: 'one-time verification GET (X-Okta-Verification-Challenge → {"verification": …}), authenticated like events',

  verify: (req, { secrets, header }) => verifyOkta(req, secrets, header),

  // https://support.okta.com/help/s/article/Unable-to-verify-event-hook-Hook-hook-name-execution-failed
  // shows the verification GET carrying the Authentication header, so it is checked before answering.
  challenge(req, { secrets, header }) {
    if (req.method !== 'GET') return undefined
    const verdict = verifyOkta(req, secrets, header)
    if (!verdict.ok) return verdict
    const challenge = req.headers.get(CHALLENGE_HEADER)
    if (!challenge) return reject('bad-request', 'a GET from Okta must carry X-Okta-Verification-Challenge; events arrive by POST')
    return reply({ verification: challenge })
  },

  // `eventType` at the top level is always "com.okta.event_hook"; the System Log event type inside is
  // the useful one (a delivery may batch several events; the first names it).
  describe(req) {
    const body = req.json()
    return {
      deliveryId: str(pick(body, 'eventId')) ?? str(pick(body, 'eventID')),
      type: str(pick(body, 'data.events.0.eventType')) ?? str(pick(body, 'eventType')),
      occurredAt: toDate(pick(body, 'eventTime')),
    }
  },

  redact: ({ header }) => ({ headers: [header.toLowerCase()] }),

  // Modelled on the sample event delivery payload of the Okta event hooks guide.
  sample(type = 'user.session.start') {
    const now = new Date().toISOString()
    return jsonDraft(
      {
        eventType: 'com.okta.event_hook',
        eventTypeVersion: '1.0',
        cloudEventsVersion: '0.1',
        source: 'https://example.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3',
        eventId: randomUUID(),
        data: {
          events: [
            {
              uuid: randomUUID(),
              published: now,
              eventType: type,
              version: '0',
              displayMessage: 'User login to Okta',
              severity: 'INFO',
              client: { zone: 'OFF_NETWORK', device: 'Unknown', ipAddress: '12.97.85.90' },
              actor: { id: '00u1qw6mqitPHM8AJ0g7', type: 'User', alternateId: 'admin@example.com', displayName: 'Example Admin' },
              outcome: { result: 'SUCCESS' },
              target: [{ id: '00u1qw6mqitPHM8AJ0g7', type: 'User', alternateId: 'admin@example.com', displayName: 'Example Admin' }],
            },
          ],
        },
        eventTime: now,
        contentType: 'application/json',
      },
      { accept: 'application/json', 'user-agent': 'Okta Event Hooks', 'x-okta-request-id': randomUUID().replaceAll('-', '') },
      'http://localhost:8787/webhooks/okta',
    )
  },

  sign: (draft, { secrets, header }) => withHeaders(draft, { [header.toLowerCase()]: secrets[0]! }),
})
