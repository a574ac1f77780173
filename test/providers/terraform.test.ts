import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest } from '../../providers/kit.ts'
import { terraform } from '../../providers/terraform.ts'

// HashiCorp publishes no Node verifier; the signature is computed independently as the docs' Ruby sample
// does (OpenSSL::HMAC.hexdigest(SHA-512, token, body),
// https://developer.hashicorp.com/terraform/cloud-docs/api-docs/notification-configurations#notification-authenticity).
const tfeSign = (token: string, payload: string) => createHmac('sha512', token).update(payload).digest('hex')

const token = '8f14e45fceea167a5a36dedd4bea2543'
// The sample notification payload of the same page.
const body = JSON.stringify({
  payload_version: 1,
  notification_configuration_id: 'nc-AeUQ2zfKZzW9TiGZ',
  run_url: 'https://app.terraform.io/app/acme-org/my-workspace/runs/run-FwnENkvDnrpyFC7M',
  run_id: 'run-FwnENkvDnrpyFC7M',
  run_message: 'Add five new queue workers',
  run_created_at: '2019-01-25T18:34:00.000Z',
  run_created_by: 'sample-user',
  workspace_id: 'ws-XdeUVMWShTesDMME',
  workspace_name: 'my-workspace',
  organization_name: 'acme-org',
  notifications: [{ message: 'Run Canceled', trigger: 'run:errored', run_status: 'canceled', run_updated_at: '2019-01-25T18:37:04.000Z', run_updated_by: 'sample-user' }],
})
const opts = terraform.options.parse({ secrets: [token] })
const now = new Date()

const request = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/terraform', headers, body: payload })

describe('terraform', () => {
  it('accepts a notification signed as HashiCorp documents', async () => {
    expect(await terraform.verify(request({ 'x-tfe-notification-signature': tfeSign(token, body) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the independent computation', async () => {
    const draft = await terraform.sign!(terraform.sample!(), opts, now)
    expect(draft.headers['x-tfe-notification-signature']).toBe(tfeSign(token, draft.body))
  })

  it('rejects a tampered body', async () => {
    expect(await terraform.verify(request({ 'x-tfe-notification-signature': tfeSign(token, body) }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a notification signed with another token', async () => {
    expect(await terraform.verify(request({ 'x-tfe-notification-signature': tfeSign('another token', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated tokens', async () => {
    const rotated = terraform.options.parse({ secrets: ['old token', token] })
    expect(await terraform.verify(request({ 'x-tfe-notification-signature': tfeSign(token, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await terraform.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'zz', 'sha512=' + 'a'.repeat(128), 'a'.repeat(127), 'g'.repeat(128), 'a'.repeat(64), Buffer.alloc(64).toString('base64')])(
    'rejects the malformed signature %j without throwing',
    async (signature) => {
      const verdict = await terraform.verify(request({ 'x-tfe-notification-signature': signature }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('describes the run, trigger and update time', () => {
    expect(terraform.describe(request({}))).toEqual({
      deliveryId: 'run-FwnENkvDnrpyFC7M:run:errored:2019-01-25T18:37:04.000Z',
      type: 'run:errored',
      occurredAt: new Date('2019-01-25T18:37:04.000Z'),
    })
  })

  it('describes the run-less verification notification by its configuration', () => {
    const verification = JSON.stringify({ payload_version: 1, notification_configuration_id: 'nc-AeUQ2zfKZzW9TiGZ', run_id: null, notifications: [{ message: 'Verification of Webhook', trigger: 'verification', run_status: null, run_updated_at: null }] })
    expect(terraform.describe(request({}, verification))).toEqual({ deliveryId: 'nc-AeUQ2zfKZzW9TiGZ:verification', type: 'verification', occurredAt: undefined })
  })

  it('describes a garbage body without throwing', () => {
    expect(terraform.describe(request({}, '"notifications"'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
