import { createHmac } from 'node:crypto'
import { isValidSlackRequest, verifySlackRequest } from '@slack/bolt'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest, type RawRequest, type Reply } from '../../providers/kit.ts'
import { slack } from '../../providers/slack.ts'

// The worked example in https://docs.slack.dev/authentication/verifying-requests-from-slack
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5'
const DOC_TIMESTAMP = '1531420618'
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503'

const secret = 'slack-signing-secret-for-tests'
const opts = slack.options.parse({ secrets: [secret] })
const now = new Date('2025-06-01T12:00:00Z')
const seconds = Math.floor(now.getTime() / 1000)
const body = JSON.stringify({
  token: 'XXYYZZ',
  team_id: 'T123ABC456',
  event: { type: 'app_mention', user: 'U123ABC456', text: 'hi', ts: '1515449522.000016', channel: 'C123ABC456' },
  type: 'event_callback',
  event_id: 'Ev08MFMKH6',
  event_time: 1515449522,
})

/** Signed independently of the module: Slack's documented recipe with node:crypto. */
const nodeSign = (payload: string, timestamp: number | string = seconds, key = secret) => `v0=${createHmac('sha256', key).update(`v0:${timestamp}:${payload}`).digest('hex')}`

const request = (headers: Record<string, string>, payload = body, contentType = 'application/json') =>
  createRawRequest({ url: 'http://localhost/webhooks/slack', headers: { 'content-type': contentType, ...headers }, body: payload })
const signed = (payload = body, timestamp: number = seconds, key = secret, contentType = 'application/json') =>
  request({ 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': nodeSign(payload, timestamp, key) }, payload, contentType)

const boltAccepts = (req: RawRequest, at: Date) =>
  isValidSlackRequest({
    signingSecret: secret,
    body: req.text(),
    headers: { 'x-slack-signature': req.headers.get('x-slack-signature')!, 'x-slack-request-timestamp': Number(req.headers.get('x-slack-request-timestamp')) },
    nowMilliseconds: at.getTime(),
  })

describe('slack', () => {
  it("accepts Slack's documented example request", async () => {
    const req = request({ 'x-slack-request-timestamp': DOC_TIMESTAMP, 'x-slack-signature': DOC_SIGNATURE }, DOC_BODY, 'application/x-www-form-urlencoded')
    const verdict = await slack.verify(req, slack.options.parse({ secrets: [DOC_SECRET] }), new Date(Number(DOC_TIMESTAMP) * 1000 + 60_000))
    expect(verdict).toEqual({ ok: true })
  })

  it('produces signatures that @slack/bolt verifySlackRequest accepts', async () => {
    const draft = await slack.sign!(slack.sample!(), opts, now)
    const req = draftToRawRequest(draft)
    expect(() =>
      verifySlackRequest({
        signingSecret: secret,
        body: draft.body,
        headers: { 'x-slack-signature': draft.headers['x-slack-signature']!, 'x-slack-request-timestamp': Number(draft.headers['x-slack-request-timestamp']) },
        nowMilliseconds: now.getTime(),
      }),
    ).not.toThrow()
    expect(await slack.verify(req, opts, now)).toEqual({ ok: true })
  })

  it('accepts a request that @slack/bolt also accepts', async () => {
    const req = signed()
    expect(boltAccepts(req, now)).toBe(true)
    expect(await slack.verify(req, opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    const req = request({ 'x-slack-request-timestamp': String(seconds), 'x-slack-signature': nodeSign(body) }, body.replace('hi', 'bye'))
    expect(await slack.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a request signed with another secret', async () => {
    expect(await slack.verify(signed(body, seconds, 'another secret'), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a timestamp older than five minutes', async () => {
    expect(await slack.verify(signed(body, seconds - 301), opts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a timestamp more than five minutes in the future', async () => {
    expect(await slack.verify(signed(body, seconds + 301), opts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = slack.options.parse({ secrets: ['old secret', secret] })
    expect(await slack.verify(signed(), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing X-Slack-Signature header', async () => {
    expect(await slack.verify(request({ 'x-slack-request-timestamp': String(seconds) }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a missing X-Slack-Request-Timestamp header', async () => {
    expect(await slack.verify(request({ 'x-slack-signature': nodeSign(body) }), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it.each([
    ['empty signature', { 'x-slack-signature': '' }],
    ['v1 prefix', { 'x-slack-signature': nodeSign(body).replace('v0=', 'v1=') }],
    ['no prefix', { 'x-slack-signature': nodeSign(body).slice(3) }],
    ['short digest', { 'x-slack-signature': nodeSign(body).slice(0, -2) }],
    ['non-hex digest', { 'x-slack-signature': 'v0=' + 'z'.repeat(64) }],
    ['base64 digest', { 'x-slack-signature': 'v0=' + Buffer.alloc(32).toString('base64') }],
    ['text timestamp', { 'x-slack-request-timestamp': 'now' }],
    ['absurd timestamp', { 'x-slack-request-timestamp': '9'.repeat(40) }],
    ['float timestamp', { 'x-slack-request-timestamp': `${seconds}.5` }],
    ['huge signature', { 'x-slack-signature': 'v0=' + 'a'.repeat(1_000_000) }],
  ])('rejects a malformed request (%s) without throwing', async (_, override) => {
    const headers = { 'x-slack-request-timestamp': String(seconds), 'x-slack-signature': nodeSign(body), ...override }
    const verdict = await slack.verify(request(headers), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('answers a signed url_verification with the challenge in plain text', async () => {
    const payload = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' })
    const answer = (await slack.challenge!(signed(payload), opts, now)) as Reply
    expect(answer).toMatchObject({ status: 200, body: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' })
    expect(answer.headers?.['content-type']).toMatch(/^text\/plain/)
  })

  it('refuses a url_verification whose signature does not verify', async () => {
    const payload = JSON.stringify({ challenge: 'abc', type: 'url_verification' })
    expect(await slack.challenge!(signed(payload, seconds, 'forged'), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('answers an ssl_check with an empty 200', async () => {
    const req = request({}, 'ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO', 'application/x-www-form-urlencoded')
    expect(await slack.challenge!(req, opts, now)).toMatchObject({ status: 200, body: '' })
  })

  it('treats an event callback as no handshake', async () => {
    expect(await slack.challenge!(signed(), opts, now)).toBeUndefined()
  })

  it('describes an Events API delivery by event_id, inner event type and event_time', () => {
    expect(slack.describe(signed())).toEqual({ deliveryId: 'Ev08MFMKH6', type: 'app_mention', occurredAt: new Date(1515449522 * 1000) })
  })

  it('describes a retried event with the same event_id', () => {
    const retry = request({ 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' })
    expect(slack.describe(retry).deliveryId).toBe(slack.describe(signed()).deliveryId)
  })

  it('describes a slash command by its command and trigger_id', () => {
    const req = request({}, DOC_BODY, 'application/x-www-form-urlencoded')
    expect(slack.describe(req)).toEqual({ deliveryId: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c', type: '/webhook-collect' })
  })

  it('describes an interactive payload by its type and trigger_id', () => {
    const payload = { type: 'block_actions', trigger_id: '12466734323.1395872398', actions: [{ action_id: 'approve', action_ts: '1548426417.840180' }] }
    const req = request({}, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded')
    expect(slack.describe(req)).toEqual({ deliveryId: '12466734323.1395872398', type: 'block_actions', occurredAt: new Date(1548426417840) })
  })

  it('describes garbage without throwing', () => {
    expect(() => slack.describe(request({}, 'payload=%7Bnot-json', 'application/x-www-form-urlencoded'))).not.toThrow()
  })
})
