import { describe, expect, it } from 'vitest'
import { createRawRequest } from '../../providers/kit.ts'
import { okta } from '../../providers/okta.ts'

// Okta event hooks are not signed: Okta sends the hook's Authentication secret in a header. The
// verification request below is the one documented at
// https://support.okta.com/help/s/article/Unable-to-verify-event-hook-Hook-hook-name-execution-failed
const secret = 'my-shared-secret'
const challenge = 'Me_rShK8JHsTnbyYrWXCEoMGbM_zsZ6k0hLPZ_Pg'
const opts = okta.options.parse({ secrets: [secret] })
const now = new Date()

// The sample event delivery payload of the Okta event hooks guide (https://developer.okta.com/docs/concepts/event-hooks/).
const body = JSON.stringify({
  eventType: 'com.okta.event_hook',
  eventTypeVersion: '1.0',
  cloudEventsVersion: '0.1',
  eventId: 'b5a188b9-5ece-4636-b041-482ffda96311',
  eventTime: '2019-03-27T16:59:53.032Z',
  source: 'https://example.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3',
  data: { events: [{ version: '0', severity: 'INFO', eventType: 'user.session.start', published: '2019-03-27T16:59:53.032Z', uuid: '2f37ddd4-21c3-4c80-bcc5-0ec8d8ed1d7b' }] },
  contentType: 'application/json',
})

const post = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/okta', headers, body: payload })
const verificationGet = (headers: Record<string, string>) =>
  createRawRequest({ method: 'GET', url: 'http://localhost/webhooks/okta', headers: { 'user-agent': 'Okta-Integrations', accept: 'application/json', 'x-okta-request-id': 'XOZfPkReFFZ10KWyGkzAMwAAADA', ...headers } })

describe('okta', () => {
  it('accepts a delivery carrying the Authentication secret in the authorization header', async () => {
    expect(await okta.verify(post({ authorization: secret }), opts, now)).toEqual({ ok: true })
  })

  it('produces deliveries that carry the secret in the configured header', async () => {
    const custom = okta.options.parse({ secrets: [secret], header: 'X-Okta-Secret' })
    const draft = await okta.sign!(okta.sample!(), custom, now)
    expect(draft.headers['x-okta-secret']).toBe(secret)
    expect(await okta.verify(post(draft.headers, draft.body), custom, now)).toEqual({ ok: true })
  })

  it('ignores the authorization header when another header is configured', async () => {
    const custom = okta.options.parse({ secrets: [secret], header: 'x-okta-secret' })
    expect(await okta.verify(post({ authorization: secret }), custom, now)).toMatchObject({ ok: false, reason: 'missing-token' })
  })

  it('rejects a wrong secret', async () => {
    expect(await okta.verify(post({ authorization: 'not the secret' }), opts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('rejects the secret with a different case or extra whitespace', async () => {
    expect(await okta.verify(post({ authorization: secret.toUpperCase() }), opts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
    expect(await okta.verify(post({ authorization: `Basic ${secret}` }), opts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = okta.options.parse({ secrets: ['old secret', secret] })
    expect(await okta.verify(post({ authorization: secret }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing authorization header', async () => {
    expect(await okta.verify(post({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-token' })
  })

  it.each(['', ' ', 'x', secret + ' x', secret.slice(0, -1), '\u00e9'.repeat(8), 'a'.repeat(10_000)])('rejects the malformed token %j without throwing', async (token) => {
    const verdict = await okta.verify(post({ authorization: token }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('refuses a header option that is not an HTTP header name', () => {
    expect(okta.options.safeParse({ secrets: [secret], header: 'bad header' }).success).toBe(false)
  })

  it('answers the authenticated verification GET with the challenge as JSON', async () => {
    const answer = await okta.challenge!(verificationGet({ 'x-okta-verification-challenge': challenge, authorization: secret }), opts, now)
    expect(answer).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } })
    expect(JSON.parse((answer as { body: string }).body)).toEqual({ verification: challenge })
  })

  it('refuses a verification GET without the Authentication secret', async () => {
    expect(await okta.challenge!(verificationGet({ 'x-okta-verification-challenge': challenge }), opts, now)).toMatchObject({ ok: false, reason: 'missing-token' })
    expect(await okta.challenge!(verificationGet({ 'x-okta-verification-challenge': challenge, authorization: 'guess' }), opts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('refuses an authenticated GET that carries no challenge', async () => {
    expect(await okta.challenge!(verificationGet({ authorization: secret }), opts, now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })

  it('leaves POST deliveries to verify', async () => {
    expect(await okta.challenge!(post({ authorization: secret, 'x-okta-verification-challenge': challenge }), opts, now)).toBeUndefined()
  })

  it('redacts the configured secret header', () => {
    expect(okta.redact!(okta.options.parse({ secrets: [secret], header: 'X-Okta-Secret' }))).toEqual({ headers: ['x-okta-secret'] })
  })

  it('describes the event id, the first System Log event type and the event time', () => {
    expect(okta.describe(post({}))).toEqual({ deliveryId: 'b5a188b9-5ece-4636-b041-482ffda96311', type: 'user.session.start', occurredAt: new Date('2019-03-27T16:59:53.032Z') })
  })

  it('describes a garbage body without throwing', () => {
    expect(okta.describe(post({}, 'not json'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
