import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { mailchimp } from '../../providers/mailchimp.ts'

// Mailchimp's audience webhooks carry no signature (Mailchimp documents none; its support suggests a secret
// query parameter in the webhook URL). The body follows the example of
// https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/
const token = 'b7Xq2mR9vL4kP8sT'
const opts = mailchimp.options.parse({ secrets: [token] })
const now = new Date()
const body = 'type=subscribe&fired_at=2009-03-26+21%3A35%3A57&data%5Bid%5D=8a25ff1d98&data%5Blist_id%5D=a6b5da1054&data%5Bemail%5D=api%40mailchimp.com&data%5Bemail_type%5D=html&data%5Bmerges%5D%5BFNAME%5D=Mailchimp'
const request = (url: string, method = 'POST', payload = body) =>
  createRawRequest({ method, url, headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}, body: payload })
const withToken = (value: string, param = 'secret') => `https://example.com/webhooks/mailchimp?${param}=${encodeURIComponent(value)}`

describe('mailchimp', () => {
  it('accepts a delivery whose URL carries the token', async () => {
    expect(await mailchimp.verify(request(withToken(token)), opts, now)).toEqual({ ok: true })
  })

  it('accepts its own signed sample', async () => {
    const draft = await mailchimp.sign!(mailchimp.sample!('unsubscribe'), opts, now)
    expect(new URL(draft.url).searchParams.get('secret')).toBe(token)
    expect(await mailchimp.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a wrong token', async () => {
    expect(await mailchimp.verify(request(withToken('wrong')), opts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('rejects a token that is a prefix of the secret', async () => {
    expect(await mailchimp.verify(request(withToken(token.slice(0, -1))), opts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('accepts the second of two rotated tokens', async () => {
    expect(await mailchimp.verify(request(withToken(token)), mailchimp.options.parse({ secrets: ['old', token] }), now)).toEqual({ ok: true })
  })

  it('rejects a missing token', async () => {
    expect(await mailchimp.verify(request('https://example.com/webhooks/mailchimp'), opts, now)).toMatchObject({ ok: false, reason: 'missing-token' })
  })

  it('reads the token from the configured query parameter', async () => {
    const custom = mailchimp.options.parse({ secrets: [token], queryParam: 'key' })
    expect(await mailchimp.verify(request(withToken(token, 'key')), custom, now)).toEqual({ ok: true })
    expect(await mailchimp.verify(request(withToken(token)), custom, now)).toMatchObject({ ok: false, reason: 'missing-token' })
  })

  it.each(['', '%00', ' ', token + ' ', token.toUpperCase(), 'x'.repeat(10_000)])('rejects the token %j without throwing', async (value) => {
    const verdict = await mailchimp.verify(request(withToken(value)), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('redacts the token query parameter', () => {
    expect(mailchimp.redact!(mailchimp.options.parse({ secrets: [token], queryParam: 'key' }))).toEqual({ query: ['key'] })
  })

  it('answers the GET URL check once the token matches', async () => {
    expect(await mailchimp.challenge!(request(withToken(token), 'GET', ''), opts, now)).toMatchObject({ status: 200 })
  })

  it('answers an empty POST URL check once the token matches', async () => {
    expect(await mailchimp.challenge!(request(withToken(token), 'POST', ''), opts, now)).toMatchObject({ status: 200 })
  })

  it('refuses the URL check without the token', async () => {
    expect(await mailchimp.challenge!(request(withToken('wrong'), 'GET', ''), opts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('leaves deliveries to verification', async () => {
    expect(await mailchimp.challenge!(request(withToken(token)), opts, now)).toBeUndefined()
  })

  it('describes a delivery by a hash of the body, its type and fired_at read as UTC', () => {
    expect(mailchimp.describe(request(withToken(token)))).toEqual({
      deliveryId: `sha256:${createHash('sha256').update(body).digest('hex')}`,
      type: 'subscribe',
      occurredAt: new Date('2009-03-26T21:35:57Z'),
    })
  })

  it('describes garbage without throwing', () => {
    expect(mailchimp.describe(request(withToken(token), 'POST', '%%%&&==fired_at=yesterday'))).toMatchObject({ type: undefined, occurredAt: undefined })
  })
})
