import { createHash } from 'node:crypto'
import twilioSdk from 'twilio'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { twilio } from '../../providers/twilio.ts'

const authToken = '12345678901234567890123456789012'
const opts = twilio.options.parse({ secrets: [authToken] })
const now = new Date()
const url = 'https://mycompany.com/myapp.php?foo=1&bar=2'
const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' }
const formBody = new URLSearchParams(params).toString()

const formRequest = (signature: string | undefined, body = formBody, requestUrl = url) =>
  createRawRequest({
    url: requestUrl,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === undefined ? {} : { 'x-twilio-signature': signature }) },
    body,
  })

const jsonBody = JSON.stringify({ property: 'value', boolean: true })
const bodySha256 = createHash('sha256').update(jsonBody).digest('hex')
const jsonUrl = `https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=${bodySha256}`
const jsonRequest = (signature: string, body = jsonBody) =>
  createRawRequest({ url: jsonUrl, headers: { 'content-type': 'application/json', 'x-twilio-signature': signature }, body })

describe('twilio', () => {
  it('accepts a form POST signed by twilio getExpectedTwilioSignature', async () => {
    const signature = twilioSdk.getExpectedTwilioSignature(authToken, url, params)
    expect(await twilio.verify(formRequest(signature), opts, now)).toEqual({ ok: true })
  })

  it('produces form signatures that twilio validateRequest accepts', async () => {
    const draft = await twilio.sign!(twilio.sample!('message-status'), opts, now)
    const fields = Object.fromEntries(new URLSearchParams(draft.body))
    expect(twilioSdk.validateRequest(authToken, draft.headers['x-twilio-signature']!, draft.url, fields)).toBe(true)
    expect(await twilio.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('accepts a JSON body whose URL bodySHA256 twilio validateRequestWithBody accepts', async () => {
    const signature = twilioSdk.getExpectedTwilioSignature(authToken, jsonUrl, {})
    expect(twilioSdk.validateRequestWithBody(authToken, signature, jsonUrl, jsonBody)).toBe(true)
    expect(await twilio.verify(jsonRequest(signature), opts, now)).toEqual({ ok: true })
  })

  it('produces JSON signatures that twilio validateRequestWithBody accepts', async () => {
    const draft = await twilio.sign!({ method: 'POST', url: 'https://mycompany.com/hook', headers: { 'content-type': 'application/json' }, body: jsonBody }, opts, now)
    expect(new URL(draft.url).searchParams.get('bodySHA256')).toBe(bodySha256)
    expect(twilioSdk.validateRequestWithBody(authToken, draft.headers['x-twilio-signature']!, draft.url, draft.body)).toBe(true)
  })

  it('rejects a JSON body that does not match bodySHA256', async () => {
    const signature = twilioSdk.getExpectedTwilioSignature(authToken, jsonUrl, {})
    expect(await twilio.verify(jsonRequest(signature, jsonBody + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts a GET whose signature covers the full URL', async () => {
    const getUrl = `https://mycompany.com/myapp.php?${formBody}`
    const signature = twilioSdk.getExpectedTwilioSignature(authToken, getUrl, {})
    const req = createRawRequest({ method: 'GET', url: getUrl, headers: { 'x-twilio-signature': signature } })
    expect(await twilio.verify(req, opts, now)).toEqual({ ok: true })
  })

  it('produces GET signatures that twilio validateRequest accepts', async () => {
    const draft = await twilio.sign!({ method: 'GET', url: `https://mycompany.com/myapp.php?${formBody}`, headers: {}, body: '' }, opts, now)
    expect(twilioSdk.validateRequest(authToken, draft.headers['x-twilio-signature']!, draft.url, {})).toBe(true)
  })

  it('accepts a signature over the URL with the standard port when the request URL has none', async () => {
    const signature = twilioSdk.getExpectedTwilioSignature(authToken, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', params)
    expect(await twilio.verify(formRequest(signature), opts, now)).toEqual({ ok: true })
  })

  it('accepts a signature over the URL without the port when the request URL has one', async () => {
    const signature = twilioSdk.getExpectedTwilioSignature(authToken, url, params)
    expect(await twilio.verify(formRequest(signature, formBody, 'https://mycompany.com:443/myapp.php?foo=1&bar=2'), opts, now)).toEqual({ ok: true })
  })

  it('accepts repeated parameters signed the way twilio signs arrays', async () => {
    const repeated = { ...params, MediaUrl: ['https://b.example/2.jpg', 'https://a.example/1.jpg'] }
    const signature = twilioSdk.getExpectedTwilioSignature(authToken, url, repeated)
    const body = `${formBody}&MediaUrl=${encodeURIComponent('https://b.example/2.jpg')}&MediaUrl=${encodeURIComponent('https://a.example/1.jpg')}`
    expect(await twilio.verify(formRequest(signature, body), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered parameter', async () => {
    const signature = twilioSdk.getExpectedTwilioSignature(authToken, url, params)
    expect(await twilio.verify(formRequest(signature, formBody.replace('Digits=1234', 'Digits=9999')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a signature computed for another URL, naming the URL it checked', async () => {
    const signature = twilioSdk.getExpectedTwilioSignature(authToken, 'https://elsewhere.example/hook', params)
    const verdict = await twilio.verify(formRequest(signature), opts, now)
    expect(verdict).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(verdict.ok === false && verdict.hint).toContain(url)
  })

  it('rejects a signature computed with another auth token', async () => {
    const signature = twilioSdk.getExpectedTwilioSignature('another token', url, params)
    expect(await twilio.verify(formRequest(signature), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated auth tokens', async () => {
    const signature = twilioSdk.getExpectedTwilioSignature(authToken, url, params)
    expect(await twilio.verify(formRequest(signature), twilio.options.parse({ secrets: ['old token', authToken] }), now)).toEqual({ ok: true })
  })

  it('rejects a missing X-Twilio-Signature', async () => {
    expect(await twilio.verify(formRequest(undefined), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'abc', '!'.repeat(28), 'A'.repeat(28), 'A'.repeat(27) + '==', 'QUJD'.repeat(7) + '=', 'sha1=' + 'A'.repeat(27) + '='])(
    'rejects the malformed signature %j without throwing',
    async (signature) => {
      const verdict = await twilio.verify(formRequest(signature === '' ? undefined : signature), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('does not throw on an unparseable URL', async () => {
    const verdict = await twilio.verify(formRequest('A'.repeat(27) + '=', formBody, 'not a url'), opts, now)
    expect(verdict).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('describes a delivery by its idempotency token', () => {
    const req = createRawRequest({ url, headers: { 'content-type': 'application/x-www-form-urlencoded', 'i-twilio-idempotency-token': 'idem-1' }, body: 'MessageSid=SM1&MessageStatus=sent' })
    expect(twilio.describe(req)).toEqual({ deliveryId: 'idem-1', type: 'sent', occurredAt: undefined })
  })

  it('falls back to the Sid and the status, since status callbacks reuse the Sid', () => {
    const req = createRawRequest({ url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'CallSid=CA1&CallStatus=completed&Timestamp=Mon%2C%2016%20Aug%202010%2003%3A45%3A01%20%2B0000' })
    expect(twilio.describe(req)).toEqual({ deliveryId: 'CA1:completed', type: 'completed', occurredAt: new Date('2010-08-16T03:45:01Z') })
  })

  it('describes garbage without throwing', () => {
    expect(twilio.describe(createRawRequest({ url, body: '%%%\u0000' }))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
