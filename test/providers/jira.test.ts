import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { jira } from '../../providers/jira.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// Atlassian publishes no verifier package. Secure admin webhooks send WebSub's "X-Hub-Signature: method=signature",
// the hex HMAC of the raw body keyed with the webhook's secret; computed here with node:crypto:
// https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks
const documentedSignature = (payload: string, secret: string, method: 'sha1' | 'sha256' | 'sha512' = 'sha256') => `${method}=${createHmac(method, secret).update(payload).digest('hex')}`

const secret = 'It5sAS3cr3tG3n3r4t3dByJ1r4'
const opts = jira.options.parse({ secrets: [secret] })
const now = new Date()
const body = JSON.stringify({ timestamp: 1709287200123, webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_generic', issue: { id: '10002', key: 'TEST-2' } })
const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/jira', headers: { 'content-type': 'application/json', 'x-atlassian-webhook-identifier': '1709287200123_10001_7', ...headers }, body: payload })

describe('jira', () => {
  it('accepts a delivery signed as the docs describe', async () => {
    expect(await jira.verify(request({ 'x-hub-signature': documentedSignature(body, secret) }), opts, now)).toEqual({ ok: true })
  })

  it('produces the signature the docs describe', async () => {
    const draft = await jira.sign!(jira.sample!(), opts, now)
    expect(draft.headers['x-hub-signature']).toBe(documentedSignature(draft.body, secret))
    expect(await jira.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await jira.verify(request({ 'x-hub-signature': documentedSignature(body, secret) }, body.replace('TEST-2', 'TEST-3')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await jira.verify(request({ 'x-hub-signature': documentedSignature(body, 'another secret') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    expect(await jira.verify(request({ 'x-hub-signature': documentedSignature(body, secret) }), jira.options.parse({ secrets: ['old', secret] }), now)).toEqual({ ok: true })
  })

  it('rejects a missing X-Hub-Signature', async () => {
    expect(await jira.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects sha1 and sha512 signatures unless listed in algorithms', async () => {
    const sha512 = request({ 'x-hub-signature': documentedSignature(body, secret, 'sha512') })
    expect(await jira.verify(sha512, opts, now)).toMatchObject({ ok: false, reason: 'malformed-signature' })
    expect(await jira.verify(sha512, jira.options.parse({ secrets: [secret], algorithms: ['sha256', 'sha512'] }), now)).toEqual({ ok: true })
  })

  it.each(['sha256', 'sha256=', '=abc', 'sha256=zz', 'sha256=' + 'a'.repeat(63), 'SHA256=' + 'a'.repeat(64), 'md5=' + 'a'.repeat(32), 'sha256 ' + 'a'.repeat(64), 'sha256=' + 'g'.repeat(64)])(
    'rejects the malformed header %j without throwing',
    async (header) => {
      const verdict = await jira.verify(request({ 'x-hub-signature': header }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('describes a delivery by X-Atlassian-Webhook-Identifier, webhookEvent and timestamp', () => {
    expect(jira.describe(request({}))).toEqual({ deliveryId: '1709287200123_10001_7', type: 'jira:issue_updated', occurredAt: new Date(1709287200123) })
  })

  it('describes garbage without throwing', () => {
    expect(jira.describe(createRawRequest({ url: 'http://localhost/webhooks/jira', body: '\u0000' }))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
