import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { intercom } from '../../providers/intercom.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// Intercom publishes no verifier package. The docs define the header as "sha1=" + the hex HMAC-SHA1 of the raw
// body keyed with the app's client_secret; computed here with node:crypto, independently of the module:
// https://developers.intercom.com/docs/references/2.13/webhooks/webhook-models
const documentedSignature = (payload: string, key: string) => 'sha1=' + createHmac('sha1', key).update(payload).digest('hex')

const secret = 'c4e1b5e2-0a6d-4c1f-9e8e-7b1d2c3a4f5e'
const opts = intercom.options.parse({ secrets: [secret] })
const now = new Date()
const body = JSON.stringify({
  type: 'notification_event',
  app_id: 'a86dr8yl',
  data: { type: 'notification_event_data', item: { type: 'conversation', id: '147' } },
  id: 'notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3',
  topic: 'conversation.user.created',
  delivery_attempts: 1,
  first_sent_at: 1392731331,
  created_at: 1392731331,
})
const request = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/intercom', headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('intercom', () => {
  it('accepts a notification signed as the docs describe', async () => {
    expect(await intercom.verify(request({ 'x-hub-signature': documentedSignature(body, secret) }), opts, now)).toEqual({ ok: true })
  })

  it('produces the signature the docs describe', async () => {
    const draft = await intercom.sign!(intercom.sample!('user.created'), opts, now)
    expect(draft.headers['x-hub-signature']).toBe(documentedSignature(draft.body, secret))
    expect(await intercom.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('accepts an uppercase hex digest', async () => {
    expect(await intercom.verify(request({ 'x-hub-signature': 'sha1=' + documentedSignature(body, secret).slice(5).toUpperCase() }), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await intercom.verify(request({ 'x-hub-signature': documentedSignature(body, secret) }, body.replace('147', '148')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a notification signed with another secret', async () => {
    expect(await intercom.verify(request({ 'x-hub-signature': documentedSignature(body, 'another secret') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = intercom.options.parse({ secrets: ['old secret', secret] })
    expect(await intercom.verify(request({ 'x-hub-signature': documentedSignature(body, secret) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing X-Hub-Signature', async () => {
    expect(await intercom.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['sha1=', 'sha1=zz', 'sha256=' + 'a'.repeat(40), 'sha1=' + 'a'.repeat(39), 'sha1=' + 'a'.repeat(64), 'a'.repeat(40), 'sha1=' + 'g'.repeat(40)])(
    'rejects the malformed header %j without throwing',
    async (header) => {
      const verdict = await intercom.verify(request({ 'x-hub-signature': header }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('describes a notification by id, topic and created_at', () => {
    expect(intercom.describe(request({}))).toEqual({ deliveryId: 'notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3', type: 'conversation.user.created', occurredAt: new Date(1392731331 * 1000) })
  })

  it('describes garbage without throwing', () => {
    expect(intercom.describe(request({}, '<html>'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
