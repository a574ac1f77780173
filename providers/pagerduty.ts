import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { accept, anyDigestMatches, decodeDigests, defineProvider, describeJson, hmac, jsonDraft, parseKeyValueHeader, reject, secretsOption, triedHint, withHeaders } from './kit.ts'

// https://developer.pagerduty.com/docs/ZG9jOjExMDI5NTkz-verifying-signatures
const DOCS = 'https://developer.pagerduty.com/docs/ZG9jOjExMDI5NTkz-verifying-signatures'

const HEADER = 'x-pagerduty-signature'

/** `v1=<hex>` for one signing secret; PagerDuty joins one per secret with `,` during a rotation. */
const computeSignature = (secret: string, body: Uint8Array | string) => 'v1=' + hmac('sha256', secret, body).toString('hex')

export const pagerduty = defineProvider({
  name: 'pagerduty',
  title: 'PagerDuty',
  docs: DOCS,
  options: z.object({ secrets: secretsOption }),

  // Signatures of other versions are ignored (as PagerDuty's go-pagerduty webhookv3 does); the delivery
  // is genuine when any v1 signature matches any configured secret.
  verify(req, { secrets }) {
    const header = req.headers.get(HEADER)
    if (header === null || header.trim() === '') return reject('missing-signature', 'expected X-PagerDuty-Signature (v3 webhook subscriptions only)')
    const presented = decodeDigests(parseKeyValueHeader(header, /,/).get('v1'), 'hex', 32)
    if (presented.length === 0) return reject('malformed-signature', 'X-PagerDuty-Signature should hold "v1=" followed by a hex HMAC-SHA256 digest')
    const ok = anyDigestMatches(presented, secrets.map((secret) => hmac('sha256', secret, req.body)))
    return ok ? accept : reject('mismatch', triedHint(secrets.length, 'is each secret the one returned when the webhook subscription was created, and is the raw body signed unchanged?'))
  },

  describe: describeJson({ id: 'event.id', type: 'event.event_type', time: 'event.occurred_at' }),

  // Modelled on the incident payload of https://github.com/PagerDuty/developer-docs/blob/main/docs/webhooks/01-Overview.md
  sample(type = 'incident.triggered') {
    const [resourceType = 'incident'] = type.split('.')
    return jsonDraft(
      {
        event: {
          id: randomUUID(),
          event_type: type,
          resource_type: resourceType,
          occurred_at: new Date().toISOString(),
          agent: { html_url: 'https://acme.pagerduty.com/users/PLH1HKV', id: 'PLH1HKV', self: 'https://api.pagerduty.com/users/PLH1HKV', summary: 'Tenex Engineer', type: 'user_reference' },
          client: { name: 'PagerDuty' },
          data: {
            id: 'PGR0VU2',
            type: 'incident',
            self: 'https://api.pagerduty.com/incidents/PGR0VU2',
            html_url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
            number: 2,
            status: 'triggered',
            incident_key: 'd3640fbd41094207a1c11e58e46b1662',
            created_at: new Date().toISOString(),
            title: 'A little bump in the road',
            service: { html_url: 'https://acme.pagerduty.com/services/PF9KMXH', id: 'PF9KMXH', self: 'https://api.pagerduty.com/services/PF9KMXH', summary: 'API Service', type: 'service_reference' },
            urgency: 'high',
          },
        },
      },
      { 'user-agent': 'PagerDuty-Webhook/V3.0', 'x-webhook-id': randomUUID(), 'x-webhook-subscription': 'PY1OI9F' },
      'http://localhost:8787/webhooks/pagerduty',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { [HEADER]: secrets.map((secret) => computeSignature(secret, draft.body)).join(',') }),
})
