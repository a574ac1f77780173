import { randomBytes, randomUUID } from 'node:crypto'
import { z } from 'zod'
import { batchKeyId, defineProvider, jsonDraft, pick, reply, secretsOption, signHmac, str, toDate, verifyHmacHeader, withHeaders, type HmacScheme, type RawRequest } from './kit.ts'

// https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/
const DOCS = 'https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/'

const SCHEME: HmacScheme = { header: 'x-xero-signature', algorithm: 'sha256', encoding: 'base64' }

const verifyXero = (req: RawRequest, secrets: string[]) =>
  verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is the secret the webhook key shown on the Webhooks tab of the app, and is the raw body signed unchanged?')

/** `eventDateUtc` is UTC written without a zone ("2017-06-21T01:15:39.902"). */
const utc = (value: unknown) => (typeof value === 'string' && /T[\d:.]+$/.test(value) ? toDate(value + 'Z') : toDate(value))

export const xero = defineProvider({
  name: 'xero',
  title: 'Xero',
  docs: DOCS,
  options: z.object({
    /** The webhook key shown on the app's Webhooks tab. */
    secrets: secretsOption,
  }),
  handshake: 'intent to receive (200 when signed correctly, 401 otherwise)',

  verify: (req, { secrets }) => verifyXero(req, secrets),

  // Intent to receive: Xero sends payloads with an empty `events` array, some signed correctly and some
  // not, and expects 200 for the former and 401 for the latter. They are answered, never stored.
  challenge(req, { secrets }) {
    const events = pick(req.json(), 'events')
    if (!Array.isArray(events) || events.length > 0) return undefined
    const verdict = verifyXero(req, secrets)
    return verdict.ok ? reply('', 200) : verdict
  },

  // No delivery id is sent. Each event is keyed by tenant, category.type, resource and time; one event
  // gives that key, a batch the SHA-256 of its sorted keys. Type and time are the first event's.
  describe(req) {
    const events = pick(req.json(), 'events')
    const list: unknown[] = Array.isArray(events) ? events : []
    const typeOf = (e: unknown) => {
      const category = str(pick(e, 'eventCategory'))
      const type = str(pick(e, 'eventType'))
      return category && type ? `${category}.${type}` : undefined
    }
    const keys = list
      .filter((e) => str(pick(e, 'resourceId')) !== undefined)
      .map((e) => [str(pick(e, 'tenantId')) ?? '', typeOf(e) ?? '', str(pick(e, 'resourceId')), str(pick(e, 'eventDateUtc')) ?? ''].join(':'))
    return { deliveryId: batchKeyId(keys), type: typeOf(list[0]), occurredAt: utc(pick(list[0], 'eventDateUtc')) }
  },

  sample(type = 'CONTACT.UPDATE') {
    const [eventCategory = 'CONTACT', eventType = 'UPDATE'] = type.split('.')
    const resourceId = randomUUID()
    const resource = { CONTACT: 'Contacts', INVOICE: 'Invoices', CREDITNOTE: 'CreditNotes' }[eventCategory] ?? 'Contacts'
    return jsonDraft(
      {
        events: [
          {
            resourceUrl: `https://api.xero.com/api.xro/2.0/${resource}/${resourceId}`,
            resourceId,
            eventDateUtc: new Date().toISOString().replace('Z', ''),
            eventType,
            eventCategory,
            tenantId: 'c2cc9b6e-9458-4c7d-93cc-f02b81b0594f',
            tenantType: 'ORGANISATION',
          },
        ],
        lastEventSequence: 1,
        firstEventSequence: 1,
        entropy: randomBytes(10).toString('hex').toUpperCase(),
      },
      {},
      'http://localhost:8787/webhooks/xero',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})
