import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, describeJson, jsonDraft, secretsOption, signHmac, urlHint, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://developer.squareup.com/docs/webhooks/step3validate
const DOCS = 'https://developer.squareup.com/docs/webhooks/step3validate'

// Square signs the notification URL exactly as configured for the subscription, followed by the raw body
// (square SDK `WebhooksHelper.verifySignature`: HMAC-SHA256(signatureKey, notificationUrl + requestBody), base64).
// The legacy SHA-1 `x-square-signature` is not accepted.
const SCHEME: HmacScheme = { header: 'x-square-hmacsha256-signature', algorithm: 'sha256', encoding: 'base64' }

export const square = defineProvider({
  name: 'square',
  title: 'Square',
  docs: DOCS,
  options: z.object({ secrets: secretsOption }),

  verify: (req, { secrets }) => verifyHmacHeader(req, secrets, SCHEME, [req.url, req.body], urlHint(req.url) + '; is the secret the subscription signature key?'),

  describe: describeJson({ id: 'event_id', type: 'type', time: 'created_at' }),

  sample: (type = 'payment.created') =>
    jsonDraft(
      {
        merchant_id: '6SSW7HV8K2ST5',
        type,
        event_id: randomUUID(),
        created_at: new Date().toISOString(),
        data: {
          type: 'payment',
          id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
          object: {
            payment: {
              id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
              amount_money: { amount: 100, currency: 'USD' },
              status: 'APPROVED',
              location_id: 'S8GWD5R9QB376',
              order_id: '03O3USaPaAaFnI6kkwB1JxGgBsUZY',
            },
          },
        },
      },
      { 'user-agent': 'Square Connect v2', 'square-version': '2024-01-18' },
      'http://localhost:8787/webhooks/square',
    ),

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.url, draft.body) }),
})
