import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { gitlab } from '../../providers/gitlab.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// Secret tokens are sent verbatim in X-Gitlab-Token (nothing to sign). Signing tokens (whsec_…) follow
// the Standard Webhooks spec (GitLab MR !230944), so the `standardwebhooks` library signs and verifies them.
const token = 'glpat-style-secret-token'
const signingToken = 'whsec_' + randomBytes(32).toString('base64')
const tokenOpts = gitlab.options.parse({ secrets: [token] })
const signedOpts = gitlab.options.parse({ secrets: [signingToken] })
const now = new Date()

const body = JSON.stringify({ object_kind: 'push', event_name: 'push', ref: 'refs/heads/main', project: { path_with_namespace: 'mike/diaspora' } })
const baseHeaders = {
  'content-type': 'application/json',
  'x-gitlab-event': 'Push Hook',
  'x-gitlab-webhook-uuid': '3c5c0404-c866-44bc-a5f6-452bb1bfc76e',
  'x-gitlab-event-uuid': '9cebe914-4827-408f-b014-cfa23a47a35f',
  'idempotency-key': 'a5461c4d-9c7f-4af9-add6-cddebe3c426f',
}
const request = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/gitlab', headers: { ...baseHeaders, ...headers }, body: payload })

const signedHeaders = (secret = signingToken, at = now, payload = body) => {
  const id = baseHeaders['idempotency-key']
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, payload) }
}

describe('gitlab', () => {
  it('accepts the configured Secret token', async () => {
    expect(await gitlab.verify(request({ 'x-gitlab-token': token }), tokenOpts, now)).toEqual({ ok: true })
  })

  it('rejects a wrong Secret token', async () => {
    expect(await gitlab.verify(request({ 'x-gitlab-token': 'wrong' }), tokenOpts, now)).toMatchObject({ ok: false, reason: 'bad-token' })
  })

  it('accepts the second of two rotated Secret tokens', async () => {
    const rotated = gitlab.options.parse({ secrets: ['old-token', token] })
    expect(await gitlab.verify(request({ 'x-gitlab-token': token }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing X-Gitlab-Token', async () => {
    expect(await gitlab.verify(request({}), tokenOpts, now)).toMatchObject({ ok: false, reason: 'missing-token' })
  })

  it('redacts X-Gitlab-Token before storage', () => {
    expect(gitlab.redact!(tokenOpts)).toEqual({ headers: ['x-gitlab-token'] })
  })

  it('accepts a delivery signed by the standardwebhooks library with the signing token', async () => {
    expect(await gitlab.verify(request(signedHeaders()), signedOpts, now)).toEqual({ ok: true })
  })

  it('produces signatures that the standardwebhooks library verifies', async () => {
    const draft = await gitlab.sign!(gitlab.sample!('Merge Request Hook'), gitlab.options.parse({ secrets: [token, signingToken] }), now)
    expect(draft.headers['x-gitlab-token']).toBe(token)
    expect(() => new Webhook(signingToken).verify(draft.body, draft.headers)).not.toThrow()
    expect(await gitlab.verify(draftToRawRequest(draft), signedOpts, now)).toEqual({ ok: true })
  })

  it('requires the signature once a signing token is configured, whatever the Secret token', async () => {
    const both = gitlab.options.parse({ secrets: [token, signingToken] })
    expect(await gitlab.verify(request({ 'x-gitlab-token': token }), both, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a tampered signed body', async () => {
    expect(await gitlab.verify(request(signedHeaders(), body.replace('main', 'evil')), signedOpts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another signing token', async () => {
    const other = 'whsec_' + randomBytes(32).toString('base64')
    expect(await gitlab.verify(request(signedHeaders(other)), signedOpts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated signing tokens', async () => {
    const rotated = gitlab.options.parse({ secrets: ['whsec_' + randomBytes(32).toString('base64'), signingToken] })
    expect(await gitlab.verify(request(signedHeaders()), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a signed delivery outside the 5-minute window', async () => {
    const old = new Date(now.getTime() - 6 * 60 * 1000)
    expect(await gitlab.verify(request(signedHeaders(signingToken, old)), signedOpts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it.each([
    ['no id', { 'webhook-id': '' }],
    ['no timestamp', { 'webhook-timestamp': '' }],
    ['text timestamp', { 'webhook-timestamp': 'soon' }],
    ['absurd timestamp', { 'webhook-timestamp': '9'.repeat(30) }],
    ['empty signature', { 'webhook-signature': '' }],
    ['unknown version', { 'webhook-signature': 'v2,' + Buffer.alloc(32).toString('base64') }],
    ['no comma', { 'webhook-signature': 'v1' + Buffer.alloc(32).toString('base64') }],
    ['short digest', { 'webhook-signature': 'v1,AAAA' }],
    ['hex digest', { 'webhook-signature': 'v1,' + 'ab'.repeat(32) }],
    ['garbage', { 'webhook-signature': 'v1,!!!,,, v1 ,' }],
  ])('rejects the malformed signed headers (%s) without throwing', async (_name, override) => {
    const headers: Record<string, string> = { ...signedHeaders(), ...override }
    for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name]
    expect((await gitlab.verify(request(headers), signedOpts, now)).ok).toBe(false)
  })

  it('refuses a signing token that is not whsec_ followed by base64', () => {
    expect(gitlab.options.safeParse({ secrets: ['whsec_not base64!'] }).success).toBe(false)
  })

  it('describes the idempotency key, which stays the same across retries, and the event header', () => {
    expect(gitlab.describe(request({}))).toEqual({ deliveryId: 'a5461c4d-9c7f-4af9-add6-cddebe3c426f', type: 'Push Hook' })
  })

  it('falls back to the webhook UUID and object_kind of older GitLab', () => {
    const req = createRawRequest({ url: 'http://localhost/webhooks/gitlab', headers: { 'x-gitlab-webhook-uuid': 'w-1' }, body })
    expect(gitlab.describe(req)).toEqual({ deliveryId: 'w-1', type: 'push' })
  })

  it('describes a non-JSON body without throwing', () => {
    const req = createRawRequest({ url: 'http://localhost/webhooks/gitlab', body: '{{' })
    expect(gitlab.describe(req)).toEqual({ deliveryId: undefined, type: undefined })
  })
})
