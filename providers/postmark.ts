import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { accept, anyTokenEqual, credentialHeaders, defineProvider, jsonDraft, pick, reject, secretsOption, str, tokenEqual, toDate, triedHint, withHeaders } from './kit.ts'

// https://postmarkapp.com/developer/webhooks/webhooks-overview
const DOCS = 'https://postmarkapp.com/developer/webhooks/webhooks-overview'

/** Where each record type carries its event time (Inbound messages carry an RFC 2822 `Date`). */
const TIME_FIELDS = ['BouncedAt', 'DeliveredAt', 'ReceivedAt', 'ChangedAt', 'Date']

const options = z
  .object({
    /** Basic-auth user name, from the webhook URL `https://user:password@…` (default: none). */
    username: z.string().min(1).optional(),
    /** Basic-auth password, from the webhook URL (default: none). */
    password: z.string().min(1).optional(),
    /** A custom header (set in the webhook's "Custom headers") whose value must be one of `secrets` (default: none). */
    header: z
      .string()
      .min(1)
      .transform((name) => name.toLowerCase())
      .optional(),
    /** Accepted values of `header`; any may match (rotation). */
    secrets: secretsOption.optional(),
  })
  .refine((o) => (o.username === undefined) === (o.password === undefined), { message: 'set both username and password (basic auth in the webhook URL)', path: ['password'] })
  .refine((o) => (o.header === undefined) === (o.secrets === undefined), { message: 'a token header needs both header and secret(s)', path: ['header'] })
  .refine((o) => o.username !== undefined || o.header !== undefined, {
    message: 'Postmark does not sign webhooks: set username and password (basic auth in the webhook URL) and/or header and secret(s)',
  })

export const postmark = defineProvider({
  name: 'postmark',
  title: 'Postmark',
  docs: DOCS,
  options,

  // Postmark signs nothing: it authenticates with basic auth in the webhook URL and/or custom headers.
  // When both are configured, both must hold.
  verify(req, { username, password, header, secrets }) {
    if (username !== undefined && password !== undefined) {
      const authorization = req.headers.get('authorization')
      if (!authorization) return reject('missing-token', 'expected HTTP basic auth: put https://user:password@… in the Postmark webhook URL')
      const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization)
      const credentials = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : ''
      const colon = credentials.indexOf(':')
      if (colon === -1) return reject('bad-token', 'Authorization is not HTTP basic auth')
      const userOk = tokenEqual(credentials.slice(0, colon), username)
      const passwordOk = tokenEqual(credentials.slice(colon + 1), password)
      if (!userOk || !passwordOk) return reject('bad-token', 'basic-auth user name or password does not match the ones configured')
    }
    if (header !== undefined && secrets !== undefined) {
      const token = req.headers.get(header)
      if (!token) return reject('missing-token', `expected ${header}; is it set in the webhook's custom headers?`)
      if (!anyTokenEqual(token, secrets)) return reject('bad-token', triedHint(secrets.length, `compare ${header} with the webhook's custom headers`))
    }
    return accept
  },

  // One message yields several records (Delivery, Open, Click, Bounce…), and Opens/Clicks may repeat: the event time
  // joins MessageID and RecordType so each record is kept once, retries included.
  describe(req) {
    const body = req.json()
    const messageId = str(pick(body, 'MessageID'))
    const type = str(pick(body, 'RecordType')) ?? (pick(body, 'FromFull') !== undefined ? 'Inbound' : undefined)
    const time = TIME_FIELDS.map((f) => str(pick(body, f))).find((t) => t !== undefined)
    return {
      deliveryId: messageId ? [messageId, type, time].filter((p) => p !== undefined).join(':') : undefined,
      type,
      occurredAt: toDate(time),
    }
  },

  redact: ({ header }) => (header ? { headers: [header] } : {}),

  sample(type = 'Delivery') {
    const messageId = randomUUID()
    const at = new Date().toISOString()
    const common = { MessageID: messageId, ServerID: 23, MessageStream: 'outbound', Tag: 'welcome-email', Metadata: { a_key: 'a_value', b_key: 'b_value' } }
    const records: Record<string, object> = {
      Delivery: { RecordType: 'Delivery', ...common, Recipient: 'john@example.com', DeliveredAt: at, Details: 'Test delivery webhook details' },
      Bounce: {
        RecordType: 'Bounce',
        ID: 4323372036,
        Type: 'HardBounce',
        TypeCode: 1,
        Name: 'Hard bounce',
        ...common,
        Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
        Details: 'Test bounce details',
        Email: 'john@example.com',
        From: 'sender@example.com',
        BouncedAt: at,
        DumpAvailable: true,
        Inactive: true,
        CanActivate: true,
        Subject: 'Test subject',
      },
      Open: { RecordType: 'Open', ...common, FirstOpen: true, Recipient: 'john@example.com', ReceivedAt: at, Platform: 'WebMail', ReadSeconds: 5, UserAgent: 'Mozilla/5.0', Client: { Name: 'Chrome 35.0.1916.153', Company: 'Google', Family: 'Chrome' }, OS: { Name: 'OS X 10.7 Lion', Company: 'Apple Computer, Inc.', Family: 'OS X 10' }, Geo: { CountryISOCode: 'RS', Country: 'Serbia', City: 'Novi Sad', IP: '188.2.95.4' } },
      Click: { RecordType: 'Click', ...common, Recipient: 'john@example.com', ClickLocation: 'HTML', OriginalLink: 'https://example.com', ReceivedAt: at, Platform: 'Desktop', UserAgent: 'Mozilla/5.0' },
      SpamComplaint: { RecordType: 'SpamComplaint', ID: 42, Type: 'SpamComplaint', TypeCode: 512, Name: 'Spam complaint', ...common, Email: 'john@example.com', From: 'sender@example.com', BouncedAt: at, Subject: 'Test subject' },
      SubscriptionChange: { RecordType: 'SubscriptionChange', ...common, Recipient: 'john@example.com', ChangedAt: at, Origin: 'Recipient', SuppressSending: true, SuppressionReason: 'HardBounce' },
    }
    return jsonDraft(records[type] ?? { ...records.Delivery, RecordType: type }, { 'user-agent': 'Postmark' }, 'http://localhost:8787/webhooks/postmark')
  },

  sign: (draft, opts) => withHeaders(draft, credentialHeaders(opts)),
})
