import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { accept, anyEqual, checkTimestamp, decodeDigest, defineProvider, hmac, jsonDraft, parseJson, pick, reject, secretsOption, str, toDate, toleranceOption, triedHint, withHeaders, RAW_BODY_HINT } from './kit.ts'

/** The window @linear/sdk's LinearWebhookClient enforces on the signed webhookTimestamp. */
const TOLERANCE_SECONDS = 60

// https://linear.app/developers/webhooks#securing-webhooks
export const linear = defineProvider({
  name: 'linear',
  title: 'Linear',
  docs: 'https://linear.app/developers/webhooks#securing-webhooks',
  options: z.object({
    /** The webhook's signing secret(s) (lin_wh_…). */
    secrets: secretsOption,
    /** Accepted clock difference for the body's webhookTimestamp, in seconds (default: 60, as @linear/sdk). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify(req, { secrets, toleranceSeconds }, now) {
    const header = req.headers.get('linear-signature')
    if (!header) return reject('missing-signature', 'expected a Linear-Signature header')
    const presented = decodeDigest(header.trim(), 'hex')
    if (presented?.length !== 32) return reject('malformed-signature', 'Linear-Signature should hold a hex HMAC-SHA256 digest')
    if (!anyEqual(presented, secrets.map((secret) => hmac('sha256', secret, req.body)))) return reject('mismatch', triedHint(secrets.length, RAW_BODY_HINT))
    // The freshness check uses the signed body field; the Linear-Timestamp header is not signed.
    const timestamp = pick(req.json(), 'webhookTimestamp')
    if (timestamp === undefined || timestamp === null) return reject('missing-timestamp', 'expected webhookTimestamp in the body')
    if (typeof timestamp !== 'number') return reject('malformed-timestamp', 'webhookTimestamp should be milliseconds since the epoch')
    return checkTimestamp(timestamp / 1000, now, toleranceSeconds) ?? accept
  },

  describe(req) {
    const body = req.json()
    const type = str(pick(body, 'type'))
    const action = str(pick(body, 'action'))
    return {
      deliveryId: req.headers.get('linear-delivery') ?? undefined,
      // "Issue.create": the entity (also in Linear-Event) and what happened to it.
      type: type && action ? `${type}.${action}` : (type ?? req.headers.get('linear-event') ?? undefined),
      occurredAt: toDate(pick(body, 'createdAt')),
    }
  },

  sample(type = 'Issue') {
    const createdAt = new Date().toISOString()
    return jsonDraft(
      {
        action: 'create',
        type,
        createdAt,
        actor: { id: '2e6eea91-1111-0000-9486-acea0603064d', type: 'user', name: 'Linear Demo', email: 'demo@linear.app' },
        data: {
          id: randomUUID(),
          createdAt,
          updatedAt: createdAt,
          number: 1778,
          identifier: 'LIN-1778',
          title: 'Foo bar',
          description: 'Issue created from the API',
          priority: 0,
          priorityLabel: 'No priority',
          teamId: '72b2a2dc-6f4f-4423-9d34-24b5bd10634a',
          stateId: 'a8a3a7c1-4c33-4c1c-9c3e-8bb3a1b1b7b3',
          labelIds: [],
          subscriberIds: ['2e6eea91-1111-0000-9486-acea0603064d'],
          state: { id: 'a8a3a7c1-4c33-4c1c-9c3e-8bb3a1b1b7b3', name: 'Todo', type: 'unstarted', color: '#e2e2e2' },
          team: { id: '72b2a2dc-6f4f-4423-9d34-24b5bd10634a', key: 'LIN', name: 'Linear' },
          labels: [],
        },
        url: 'https://linear.app/issue/LIN-1778/foo-bar',
        organizationId: '8f9b1c7e-3a6d-4c8e-9f1a-2b3c4d5e6f70',
        webhookTimestamp: Date.now(),
        webhookId: '000042e3-d123-4980-b49f-8e140eef9329',
      },
      { 'user-agent': 'Linear-Webhook', 'linear-delivery': randomUUID(), 'linear-event': type },
      'http://localhost:8787/webhooks/linear',
    )
  },

  /** Stamps webhookTimestamp with `now`, as Linear does when it sends, then signs the body. */
  sign(draft, { secrets }, now) {
    const json = parseJson(draft.body)
    // Not a JSON object: signed as it is.
    const body = typeof json === 'object' && json !== null && !Array.isArray(json) ? JSON.stringify({ ...json, webhookTimestamp: now.getTime() }) : draft.body
    return withHeaders({ ...draft, body }, { 'linear-signature': hmac('sha256', secrets[0]!, body).toString('hex'), 'linear-timestamp': String(now.getTime()) })
  },
})
