import { describe, expect, it } from 'vitest'
import { dialogflow } from '../../providers/dialogflow.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// Dialogflow signs nothing: it sends the basic-auth login or the custom headers set in the fulfillment
// settings (https://cloud.google.com/dialogflow/es/docs/fulfillment-webhook#auth). The expected header
// values are built independently here, from the documented format.
const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')
const basicOpts = dialogflow.options.parse({ username: 'dialogflow', password: 'correct horse' })
const headerOpts = dialogflow.options.parse({ header: 'X-Fulfillment-Key', secrets: ['key-1'] })
const now = new Date()

const esBody = JSON.stringify({
  responseId: 'response-id-1',
  session: 'projects/project-id/agent/sessions/session-id',
  queryResult: { queryText: 'End-user expression', intent: { name: 'projects/project-id/agent/intents/intent-id', displayName: 'matched-intent-name' }, languageCode: 'en' },
  originalDetectIntentRequest: {},
})

const request = (headers: Record<string, string>, body = esBody) =>
  createRawRequest({ url: 'http://localhost/webhooks/dialogflow', headers: { 'content-type': 'application/json', ...headers }, body })

describe('dialogflow', () => {
  it('accepts the basic-auth credentials Dialogflow sends', async () => {
    expect(await dialogflow.verify(request({ authorization: basic('dialogflow', 'correct horse') }), basicOpts, now)).toEqual({ ok: true })
  })

  it('accepts the configured custom header', async () => {
    expect(await dialogflow.verify(request({ 'x-fulfillment-key': 'key-1' }), headerOpts, now)).toEqual({ ok: true })
  })

  it('signs drafts with exactly the headers Dialogflow would send', async () => {
    const both = dialogflow.options.parse({ username: 'dialogflow', password: 'correct horse', header: 'x-fulfillment-key', secrets: ['key-1'] })
    const draft = await dialogflow.sign!(dialogflow.sample!('order.status'), both, now)
    expect(draft.headers.authorization).toBe(basic('dialogflow', 'correct horse'))
    expect(draft.headers['x-fulfillment-key']).toBe('key-1')
    expect(await dialogflow.verify(draftToRawRequest(draft), both, now)).toEqual({ ok: true })
  })

  it('requires both mechanisms when both are configured', async () => {
    const both = dialogflow.options.parse({ username: 'dialogflow', password: 'correct horse', header: 'x-fulfillment-key', secrets: ['key-1'] })
    expect(await dialogflow.verify(request({ authorization: basic('dialogflow', 'correct horse') }), both, now)).toMatchObject({ ok: false, reason: 'missing-token' })
  })

  it('rejects a wrong password', async () => {
    expect(await dialogflow.verify(request({ authorization: basic('dialogflow', 'wrong') }), basicOpts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('rejects a wrong username', async () => {
    expect(await dialogflow.verify(request({ authorization: basic('someone', 'correct horse') }), basicOpts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('rejects a wrong header value', async () => {
    expect(await dialogflow.verify(request({ 'x-fulfillment-key': 'key-2' }), headerOpts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('accepts the second of two rotated header values', async () => {
    const rotated = dialogflow.options.parse({ header: 'x-fulfillment-key', secrets: ['old-key', 'key-1'] })
    expect(await dialogflow.verify(request({ 'x-fulfillment-key': 'key-1' }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects missing credentials', async () => {
    expect(await dialogflow.verify(request({}), basicOpts, now)).toMatchObject({ ok: false, reason: 'missing-token' })
    expect(await dialogflow.verify(request({}), headerOpts, now)).toMatchObject({ ok: false, reason: 'missing-token' })
  })

  it.each(['Bearer abc', 'Basic', 'Basic !!!', 'Basic ' + Buffer.from('no-colon').toString('base64'), 'Basic ' + 'A'.repeat(10000), basic('dialogflow', 'correct horse').toLowerCase(), 'Digest username="x"'])(
    'rejects the malformed Authorization %j without throwing',
    async (authorization) => {
      const verdict = await dialogflow.verify(request({ authorization }), basicOpts, now)
      expect(verdict).toMatchObject({ ok: false, reason: 'bad-token' })
    },
  )

  it.each([{}, { username: 'only-user' }, { header: 'x-key' }, { secrets: ['v'] }, { username: 'u', password: 'p', header: 'authorization', secrets: ['v'] }])(
    'refuses the incomplete options %j',
    (options) => {
      expect(dialogflow.options.safeParse(options).success).toBe(false)
    },
  )

  it('acknowledges with an empty WebhookResponse', () => {
    expect(dialogflow.ack!(request({}), basicOpts)).toEqual({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' })
  })

  it('redacts the configured secret header', () => {
    expect(dialogflow.redact!(headerOpts)).toEqual({ headers: ['x-fulfillment-key'] })
  })

  it('describes the response id and matched intent of an ES request', () => {
    expect(dialogflow.describe(request({}))).toEqual({ deliveryId: 'response-id-1', type: 'matched-intent-name' })
  })

  it('describes the response id and intent of a CX request', () => {
    const cx = JSON.stringify({ detectIntentResponseId: 'cx-1', intentInfo: { displayName: 'store.hours' }, fulfillmentInfo: { tag: 'hours' } })
    expect(dialogflow.describe(request({}, cx))).toEqual({ deliveryId: 'cx-1', type: 'store.hours' })
  })

  it('describes a non-JSON body without throwing', () => {
    expect(dialogflow.describe(request({}, 'not json'))).toEqual({ deliveryId: undefined, type: undefined })
  })
})
