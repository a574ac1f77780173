import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods'
import { describe, expect, it } from 'vitest'
import { github } from '../../providers/github.ts'
import { createRawRequest } from '../../providers/kit.ts'

const secret = 'It\'s a Secret to Everybody'
const body = JSON.stringify({ action: 'opened', number: 1, repository: { full_name: 'octo/hello' } })
const opts = github.options.parse({ secrets: [secret] })
const now = new Date()

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/github', headers: { 'x-github-event': 'issues', 'x-github-delivery': 'd-1', ...headers }, body: payload })

describe('github', () => {
  it('accepts a delivery signed by @octokit/webhooks-methods', async () => {
    const signature = await octokitSign(secret, body)
    expect(await github.verify(request({ 'x-hub-signature-256': signature }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that @octokit/webhooks-methods verifies', async () => {
    const draft = await github.sign!(github.sample!('push'), opts, now)
    expect(await octokitVerify(secret, draft.body, draft.headers['x-hub-signature-256']!)).toBe(true)
  })

  it('rejects a tampered body', async () => {
    const signature = await octokitSign(secret, body)
    expect(await github.verify(request({ 'x-hub-signature-256': signature }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    const signature = await octokitSign('another secret', body)
    expect(await github.verify(request({ 'x-hub-signature-256': signature }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const signature = await octokitSign(secret, body)
    const rotated = github.options.parse({ secrets: ['old secret', secret] })
    expect(await github.verify(request({ 'x-hub-signature-256': signature }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await github.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'sha256=', 'sha256=zz', 'md5=abc', 'sha256=' + 'a'.repeat(63), 'sha256=' + 'g'.repeat(64)])('rejects the malformed header %j', async (header) => {
    const verdict = await github.verify(request(header === '' ? {} : { 'x-hub-signature-256': header }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('accepts legacy sha1 only when allowSha1 is set', async () => {
    const { createHmac } = await import('node:crypto')
    const sha1 = 'sha1=' + createHmac('sha1', secret).update(body).digest('hex')
    expect(await github.verify(request({ 'x-hub-signature': sha1 }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
    expect(await github.verify(request({ 'x-hub-signature': sha1 }), github.options.parse({ secrets: [secret], allowSha1: true }), now)).toEqual({ ok: true })
  })

  it('describes the delivery id and event type from the headers', () => {
    expect(github.describe(request({}))).toEqual({ deliveryId: 'd-1', type: 'issues' })
  })
})
