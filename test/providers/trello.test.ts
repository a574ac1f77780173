import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { trello } from '../../providers/trello.ts'

// Trello publishes no verifier package. The docs' Node example, ported (raw body instead of a re-serialized one):
// https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/#webhook-signatures
//   const content = JSON.stringify(request.body) + callbackURL
//   crypto.createHmac('sha1', secret).update(content).digest('base64') === request.headers['x-trello-webhook']
const documentedSignature = (payload: string, callbackURL: string, secret: string) => createHmac('sha1', secret).update(payload + callbackURL).digest('base64')

const secret = '8d56bbd601877abfd13150a999a840d0a10e79a7d9b6b0c2a5e3f8f1c7d9e2b4'
const callbackURL = 'https://example.com/webhooks/trello?board=roadmap'
const opts = trello.options.parse({ secrets: [secret] })
const now = new Date()
const body = JSON.stringify({
  model: { id: '5a6f1b2c3d4e5f6a7b8c9d0e', name: 'Roadmap ✓' },
  action: { id: '5a6f2c3d4e5f6a7b8c9d0e1f', type: 'commentCard', date: '2024-03-01T10:00:00.000Z', data: { text: 'Ünïcödé — 日本語 🎉' } },
})
const request = (headers: Record<string, string>, payload = body, url = callbackURL, method = 'POST') =>
  createRawRequest({ method, url, headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('trello', () => {
  it('accepts a delivery signed as the docs example signs it, non-ASCII body included', async () => {
    expect(await trello.verify(request({ 'x-trello-webhook': documentedSignature(body, callbackURL, secret) }), opts, now)).toEqual({ ok: true })
  })

  it('produces the signature the docs example computes', async () => {
    const draft = await trello.sign!(trello.sample!('createCard'), opts, now)
    expect(draft.headers['x-trello-webhook']).toBe(documentedSignature(draft.body, draft.url, secret))
    expect(await trello.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await trello.verify(request({ 'x-trello-webhook': documentedSignature(body, callbackURL, secret) }, body.replace('commentCard', 'deleteCard')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a signature over another callbackURL, naming the URL it checked', async () => {
    const verdict = await trello.verify(request({ 'x-trello-webhook': documentedSignature(body, 'https://example.com/webhooks/trello', secret) }), opts, now)
    expect(verdict).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(verdict.ok === false && verdict.hint).toContain(callbackURL)
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await trello.verify(request({ 'x-trello-webhook': documentedSignature(body, callbackURL, 'another secret') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    expect(await trello.verify(request({ 'x-trello-webhook': documentedSignature(body, callbackURL, secret) }), trello.options.parse({ secrets: ['old', secret] }), now)).toEqual({ ok: true })
  })

  it('rejects a missing X-Trello-Webhook', async () => {
    expect(await trello.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['!!!!', 'AAAA', createHmac('sha1', secret).update(body + callbackURL).digest('hex'), 'A'.repeat(100), 'sha1=' + documentedSignature(body, callbackURL, secret)])(
    'rejects the malformed signature %j without throwing',
    async (signature) => {
      const verdict = await trello.verify(request({ 'x-trello-webhook': signature }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it.each(['HEAD', 'GET'])('answers the %s check made when the webhook is created', async (method) => {
    expect(await trello.challenge!(request({}, '', callbackURL, method), opts, now)).toMatchObject({ status: 200 })
  })

  it('leaves POST deliveries to verification', async () => {
    expect(await trello.challenge!(request({}), opts, now)).toBeUndefined()
  })

  it('describes a delivery by action id, type and date', () => {
    expect(trello.describe(request({}))).toEqual({ deliveryId: '5a6f2c3d4e5f6a7b8c9d0e1f', type: 'commentCard', occurredAt: new Date('2024-03-01T10:00:00.000Z') })
  })

  it('describes garbage without throwing', () => {
    expect(trello.describe(request({}, '{"action": 42}'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
