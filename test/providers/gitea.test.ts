import { createHmac } from 'node:crypto'
import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods'
import { describe, expect, it } from 'vitest'
import { forgejo, gitea } from '../../providers/gitea.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// Gitea ships no verifier package. Signatures here are computed independently with node:crypto, as
// services/webhook/deliver.go does (hex HMAC-SHA256 of the JSON payload, no prefix), and with
// @octokit/webhooks-methods over the GitHub-compatible X-Hub-Signature-256 copy Gitea also sends.
const secret = 'gitea webhook secret'
const body = JSON.stringify({ ref: 'refs/heads/main', after: 'bffeb74224043ba2feb48d137756c8a9331c449a', repository: { full_name: 'gitea/webhooks' } }, null, 2)
const opts = gitea.options.parse({ secrets: [secret] })
const now = new Date()
const hexHmac = (key: string, data: string) => createHmac('sha256', key).update(data).digest('hex')

const request = (headers: Record<string, string>, payload = body, init: { method?: string; url?: string; contentType?: string } = {}) =>
  createRawRequest({
    method: init.method ?? 'POST',
    url: init.url ?? 'http://localhost/webhooks/gitea',
    headers: { 'content-type': init.contentType ?? 'application/json', 'x-gitea-event': 'push', 'x-gitea-delivery': 'd-1', ...headers },
    body: payload,
  })

describe('gitea', () => {
  it('accepts a delivery signed like Gitea (hex HMAC-SHA256 of the body)', async () => {
    expect(await gitea.verify(request({ 'x-gitea-signature': hexHmac(secret, body) }), opts, now)).toEqual({ ok: true })
  })

  it('accepts the digest @octokit/webhooks-methods computes, without its sha256= prefix', async () => {
    const signature = (await octokitSign(secret, body)).replace(/^sha256=/, '')
    expect(await gitea.verify(request({ 'x-gitea-signature': signature }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that @octokit/webhooks-methods and node:crypto verify', async () => {
    const draft = await gitea.sign!(gitea.sample!('push'), opts, now)
    expect(await octokitVerify(secret, draft.body, draft.headers['x-hub-signature-256']!)).toBe(true)
    expect(draft.headers['x-gitea-signature']).toBe(hexHmac(secret, draft.body))
    expect(await gitea.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await gitea.verify(request({ 'x-gitea-signature': hexHmac(secret, body) }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await gitea.verify(request({ 'x-gitea-signature': hexHmac('another secret', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = gitea.options.parse({ secrets: ['old secret', secret] })
    expect(await gitea.verify(request({ 'x-gitea-signature': hexHmac(secret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await gitea.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects the empty signature Gitea sends when the webhook has no secret', async () => {
    expect(await gitea.verify(request({ 'x-gitea-signature': '' }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['sha256=' + 'a'.repeat(64), 'zz', 'a'.repeat(63), 'g'.repeat(64), 'a'.repeat(40), '  ', '%%%', 'a'.repeat(10_000)])('rejects the malformed header %j', async (header) => {
    const verdict = await gitea.verify(request({ 'x-gitea-signature': header }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('verifies the `payload` form field of a form-encoded delivery', async () => {
    const form = new URLSearchParams({ payload: body }).toString()
    const req = request({ 'x-gitea-signature': hexHmac(secret, body) }, form, { contentType: 'application/x-www-form-urlencoded' })
    expect(await gitea.verify(req, opts, now)).toEqual({ ok: true })
  })

  it('verifies the `payload` query parameter of a GET webhook', async () => {
    const url = `http://localhost/webhooks/gitea?${new URLSearchParams({ payload: body })}`
    const req = request({ 'x-gitea-signature': hexHmac(secret, body) }, '', { method: 'GET', url })
    expect(await gitea.verify(req, opts, now)).toEqual({ ok: true })
  })

  it('rejects a GET webhook without a payload parameter', async () => {
    const req = request({ 'x-gitea-signature': hexHmac(secret, body) }, '', { method: 'GET' })
    expect(await gitea.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })

  it('describes the delivery id and event type from the headers', () => {
    expect(gitea.describe(request({}))).toEqual({ deliveryId: 'd-1', type: 'push' })
  })
})

describe('forgejo', () => {
  const forgejoOpts = forgejo.options.parse({ secrets: [secret] })

  it('accepts a delivery signed in X-Forgejo-Signature', async () => {
    expect(await forgejo.verify(request({ 'x-forgejo-signature': hexHmac(secret, body) }), forgejoOpts, now)).toEqual({ ok: true })
  })

  it('accepts a delivery carrying only the X-Gitea-Signature copy', async () => {
    expect(await forgejo.verify(request({ 'x-gitea-signature': hexHmac(secret, body) }), forgejoOpts, now)).toEqual({ ok: true })
  })

  it('does not let a good X-Gitea-Signature rescue a bad X-Forgejo-Signature', async () => {
    const req = request({ 'x-forgejo-signature': hexHmac('another secret', body), 'x-gitea-signature': hexHmac(secret, body) })
    expect(await forgejo.verify(req, forgejoOpts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('signs both X-Forgejo-Signature and X-Gitea-Signature', async () => {
    const draft = await forgejo.sign!(forgejo.sample!('issues'), forgejoOpts, now)
    expect(draft.headers['x-forgejo-signature']).toBe(hexHmac(secret, draft.body))
    expect(draft.headers['x-gitea-signature']).toBe(hexHmac(secret, draft.body))
  })

  it('describes the delivery id and event type from the X-Forgejo-* headers first', () => {
    expect(forgejo.describe(request({ 'x-forgejo-delivery': 'f-1', 'x-forgejo-event': 'issues' }))).toEqual({ deliveryId: 'f-1', type: 'issues' })
  })
})
