import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import {
  defineProvider,
  jsonDraft,
  parseIntStrict,
  pick,
  secretsOption,
  signTimestampedHmac,
  str,
  toDate,
  toleranceOption,
  verifyTimestampedHmac,
  withHeaders,
  type TimestampedHmacScheme,
} from './kit.ts'

// https://developers.webflow.com/data/docs/working-with-webhooks#validating-request-signatures
const DOCS = 'https://developers.webflow.com/data/docs/working-with-webhooks#validating-request-signatures'

/** Webflow: "If the request is older than 5 minutes, this may indicate a replay attack." */
const TOLERANCE_SECONDS = 5 * 60

// x-webflow-signature: hex HMAC-SHA256(secret, `${x-webflow-timestamp}:${body}`), the timestamp in milliseconds.
const SCHEME: TimestampedHmacScheme = {
  header: 'x-webflow-signature',
  algorithm: 'sha256',
  encoding: 'hex',
  timestampHeader: 'x-webflow-timestamp',
  toSeconds: (timestamp) => parseIntStrict(timestamp) / 1000,
  signedPayload: (timestamp, _seconds, body) => [timestamp, ':', body],
  hints: {
    'missing-signature': 'expected x-webflow-signature (only webhooks created through the API by an OAuth app are signed)',
    'missing-timestamp': 'expected x-webflow-timestamp',
    'malformed-timestamp': 'x-webflow-timestamp should be milliseconds since the epoch',
    mismatch: 'is the secret the OAuth app\'s client secret (or the secret returned when the webhook was created through the API)? Webhooks created in the site dashboard are not signed',
  },
}

/** The object a payload is about (form submission, CMS item, order, site). */
const ID_FIELDS = ['payload.id', 'payload._id', '_id', 'payload.orderId', 'payload.site', 'payload.siteId']
/** Times that change with every event of an object (an order's `acceptedOn` does not, so it only dates a new order). */
const TIME_FIELDS = ['payload.lastUpdated', 'payload.submittedAt', 'payload.publishedOn', 'payload.createdOn']

const first = (body: unknown, paths: string[]) => paths.map((p) => str(pick(body, p))).find((v) => v !== undefined)

export const webflow = defineProvider({
  name: 'webflow',
  title: 'Webflow',
  docs: DOCS,
  options: z.object({
    secrets: secretsOption,
    /** Accepted distance between x-webflow-timestamp (milliseconds) and now, in seconds (default: 300). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify: (req, { secrets, toleranceSeconds }, now) => verifyTimestampedHmac(req, secrets, SCHEME, now, toleranceSeconds),

  // Webflow sends no delivery or event id: the trigger, the object's id and the object's own event time identify an
  // event and stay the same when Webflow retries it. Events without such a time (order changes, inventory, pages…)
  // get no delivery id: a retry may then be stored twice, but no distinct event is ever dropped as a duplicate.
  describe(req) {
    const body = req.json()
    const type = str(pick(body, 'triggerType'))
    const time = first(body, type === 'ecomm_new_order' ? [...TIME_FIELDS, 'payload.acceptedOn'] : TIME_FIELDS)
    return {
      deliveryId: time ? [type, first(body, ID_FIELDS), time].filter((p) => p !== undefined).join(':') : undefined,
      type,
      occurredAt: toDate(time),
    }
  },

  sample(type = 'form_submission') {
    const at = new Date().toISOString()
    const payload =
      type === 'form_submission'
        ? {
            name: 'Contact Us',
            siteId: '65427cf400e02b306eaa049c',
            data: { 'First Name': 'Zaphod', 'Last Name': 'Beeblebrox', email: 'zaphod@heartofgold.ai', 'Phone Number': 15550000000 },
            schema: [
              { fieldName: 'First Name', fieldType: 'FormTextInput', fieldElementId: '285042f7-d554-dc7f-102c-aa10d6a2d2c4' },
              { fieldName: 'Last Name', fieldType: 'FormTextInput', fieldElementId: '285042f7-d554-dc7f-102c-aa10d6a2d2c5' },
              { fieldName: 'email', fieldType: 'FormTextInput', fieldElementId: '285042f7-d554-dc7f-102c-aa10d6a2d2c6' },
              { fieldName: 'Phone Number', fieldType: 'FormTextInput', fieldElementId: '285042f7-d554-dc7f-102c-aa10d6a2d2c7' },
            ],
            submittedAt: at,
            id: randomBytes(12).toString('hex'),
            formId: '65429eadebe8a9f3a30f62d0',
            formElementId: '4e038d2c-6a1e-4953-7be9-a59a2b453177',
          }
        : {
            id: '582b900cba19143b2bb8a759',
            siteId: '65427cf400e02b306eaa049c',
            workspaceId: '65427cf400e02b306eaa0000',
            collectionId: '6390c49774a71f0e3c1a08ee',
            lastPublished: null,
            lastUpdated: at,
            createdOn: at,
            isArchived: false,
            isDraft: false,
            fieldData: { name: 'hello world', slug: 'hello-world' },
          }
    return jsonDraft({ triggerType: type, payload }, {}, 'http://localhost:8787/webhooks/webflow')
  },

  sign: (draft, { secrets }, now) => withHeaders(draft, signTimestampedHmac(SCHEME, secrets[0]!, String(now.getTime()), draft.body)),
})
