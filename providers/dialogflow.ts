import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { accept, anyTokenEqual, credentialHeaders, defineProvider, jsonDraft, pick, reject, reply, secretsOption, str, tokenEqual, triedHint, withHeaders } from './kit.ts'

const AUTH_HINT = 'compare with the login username/password in the agent\'s fulfillment settings'

// https://cloud.google.com/dialogflow/es/docs/fulfillment-webhook#auth
export const dialogflow = defineProvider({
  name: 'dialogflow',
  title: 'Dialogflow',
  docs: 'https://cloud.google.com/dialogflow/es/docs/fulfillment-webhook#auth',
  options: z
    .object({
      /** Basic-auth login username set in the fulfillment settings (with `password`). */
      username: z.string().min(1).optional(),
      /** Basic-auth login password set in the fulfillment settings (with `username`). */
      password: z.string().min(1).optional(),
      /** Name of the custom header set in the fulfillment settings; its value must be one of `secrets`. */
      header: z.string().min(1).transform((name) => name.toLowerCase()).optional(),
      /** Accepted values of `header` (several while rotating). */
      secrets: secretsOption.optional(),
    })
    .superRefine((opts, ctx) => {
      const issue = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] })
      if ((opts.username === undefined) !== (opts.password === undefined)) issue('set both username and password (basic auth), or neither', opts.username ? 'password' : 'username')
      if (opts.header && !opts.secrets) issue(`set secret to the value Dialogflow sends in ${opts.header}`, 'secrets')
      if (opts.secrets && !opts.header) issue('set header to the name of the header Dialogflow sends the secret in', 'header')
      if (!opts.username && !opts.header) issue('Dialogflow sends no signature: configure basic auth (username, password) or a header (header, secret)', 'header')
      if (opts.username && opts.header === 'authorization') issue('basic auth already uses the authorization header; pick another header name', 'header')
    }),

  verify(req, { username, password, header, secrets }) {
    if (username !== undefined && password !== undefined) {
      const authorization = req.headers.get('authorization')
      if (!authorization) return reject('missing-token', `expected Authorization: Basic …; ${AUTH_HINT}`)
      const presented = parseBasicAuth(authorization)
      if (!presented) return reject('bad-token', 'Authorization is not Basic credentials')
      // Both halves are always compared, so timing does not tell which one was wrong.
      const userOk = tokenEqual(presented.username, username)
      const passwordOk = tokenEqual(presented.password, password)
      if (!(userOk && passwordOk)) return reject('bad-token', `wrong basic-auth credentials; ${AUTH_HINT}`)
    }
    if (header !== undefined && secrets !== undefined) {
      const value = req.headers.get(header)
      if (value === null) return reject('missing-token', `expected the ${header} header set in the fulfillment settings`)
      if (!anyTokenEqual(value, secrets)) return reject('bad-token', triedHint(secrets.length, `compare with the ${header} header value in the fulfillment settings`))
    }
    return accept
  },

  // Dialogflow waits for a WebhookResponse; an empty one makes the agent answer with the intent's own responses.
  ack: () => reply({}),

  describe(req) {
    const body = req.json()
    return {
      // ES sends responseId and queryResult; CX sends detectIntentResponseId and intentInfo.
      deliveryId: str(pick(body, 'responseId')) ?? str(pick(body, 'detectIntentResponseId')),
      type: str(pick(body, 'queryResult.intent.displayName')) ?? str(pick(body, 'intentInfo.displayName')) ?? str(pick(body, 'fulfillmentInfo.tag')),
    }
  },

  redact: ({ header }) => ({ headers: header ? [header] : [] }),

  sample(intent = 'order.status') {
    const session = `projects/my-agent/agent/sessions/${randomUUID()}`
    return jsonDraft(
      {
        responseId: `${randomUUID()}-${Math.random().toString(16).slice(2, 10)}`,
        session,
        queryResult: {
          queryText: 'where is my order 1234?',
          parameters: { 'order-number': '1234' },
          allRequiredParamsPresent: true,
          fulfillmentText: 'Let me check that for you.',
          fulfillmentMessages: [{ text: { text: ['Let me check that for you.'] } }],
          outputContexts: [{ name: `${session}/contexts/order`, lifespanCount: 5, parameters: { 'order-number': '1234' } }],
          intent: { name: 'projects/my-agent/agent/intents/29bcd7f8-f717-4261-a8fd-2d3e451b8af8', displayName: intent },
          intentDetectionConfidence: 0.92,
          languageCode: 'en',
        },
        originalDetectIntentRequest: { payload: {} },
      },
      { 'user-agent': 'Google-Dialogflow' },
      'http://localhost:8787/webhooks/dialogflow',
    )
  },

  sign: (draft, opts) => withHeaders(draft, credentialHeaders(opts)),
})

/** Decodes `Authorization: Basic base64(user:password)`; undefined when it is not that. */
export function parseBasicAuth(authorization: string): { username: string; password: string } | undefined {
  const match = /^basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(authorization)
  if (!match) return undefined
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}
