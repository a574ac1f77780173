import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { braintree } from '../../providers/braintree.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// The braintree SDK ships no type declarations; it is loaded untyped.
const sdk = createRequire(import.meta.url)('braintree')

const publicKey = 'integration_public_key'
const privateKey = 'integration_private_key'
const gatewayFor = (pub: string, priv: string) => new sdk.BraintreeGateway({ environment: sdk.Environment.Sandbox, merchantId: 'integration_merchant_id', publicKey: pub, privateKey: priv })
const gateway = gatewayFor(publicKey, privateKey)
const opts = braintree.options.parse({ publicKey, secrets: [privateKey] })
const now = new Date()

const formRequest = (fields: Record<string, string>) =>
  createRawRequest({ url: 'http://localhost/webhooks/braintree', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() })

const sampleNotification = (kind = sdk.WebhookNotification.Kind.SubscriptionWentPastDue, id = 'my_id') =>
  gateway.webhookTesting.sampleNotification(kind, id) as { bt_signature: string; bt_payload: string }

describe('braintree', () => {
  it('accepts a notification signed by the braintree SDK (webhookTesting.sampleNotification)', async () => {
    expect(await braintree.verify(formRequest(sampleNotification()), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that the braintree SDK parses (webhookNotification.parse)', async () => {
    const draft = await braintree.sign!(braintree.sample!('subscription_charged_successfully'), opts, now)
    const form = new URLSearchParams(draft.body)
    const notification = await gateway.webhookNotification.parse(form.get('bt_signature'), form.get('bt_payload'))
    expect(notification.kind).toBe('subscription_charged_successfully')
    expect(await braintree.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('accepts a payload that lost the trailing newline it was signed with, as the SDK does', async () => {
    const { bt_signature, bt_payload } = sampleNotification()
    const trimmed = bt_payload.replace(/\n$/, '')
    await expect(gateway.webhookNotification.parse(bt_signature, trimmed)).resolves.toBeDefined()
    expect(await braintree.verify(formRequest({ bt_signature, bt_payload: trimmed }), opts, now)).toEqual({ ok: true })
  })

  it('picks the pair for the configured public key among several', async () => {
    const { bt_signature, bt_payload } = sampleNotification()
    const signature = `other_public_key|${'0'.repeat(40)}&${bt_signature}`
    expect(await braintree.verify(formRequest({ bt_signature: signature, bt_payload }), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered payload', async () => {
    const { bt_signature, bt_payload } = sampleNotification()
    const tampered = Buffer.from(Buffer.from(bt_payload, 'base64').toString().replace('subscription_went_past_due', 'subscription_canceled')).toString('base64')
    expect(await braintree.verify(formRequest({ bt_signature, bt_payload: tampered }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a notification signed with another private key', async () => {
    const other = gatewayFor(publicKey, 'another_private_key').webhookTesting.sampleNotification(sdk.WebhookNotification.Kind.Check, 'x')
    expect(await braintree.verify(formRequest(other), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a notification for another public key', async () => {
    const other = gatewayFor('other_public_key', privateKey).webhookTesting.sampleNotification(sdk.WebhookNotification.Kind.Check, 'x')
    expect(await braintree.verify(formRequest(other), opts, now)).toMatchObject({ ok: false, reason: 'unknown-key' })
  })

  it('accepts the second of two rotated private keys', async () => {
    const rotated = braintree.options.parse({ publicKey, secrets: ['old_private_key', privateKey] })
    expect(await braintree.verify(formRequest(sampleNotification()), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing bt_signature', async () => {
    const { bt_payload } = sampleNotification()
    expect(await braintree.verify(formRequest({ bt_payload }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a missing bt_payload', async () => {
    const { bt_signature } = sampleNotification()
    expect(await braintree.verify(formRequest({ bt_signature }), opts, now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })

  it.each([
    ['empty', ''],
    ['no pair', 'garbage'],
    ['empty pair', '|'],
    ['non-hex', `${publicKey}|${'z'.repeat(40)}`],
    ['short', `${publicKey}|abc`],
    ['sha256 length', `${publicKey}|${'a'.repeat(64)}`],
    ['many separators', '&&&|||&&&'],
  ])('rejects the malformed bt_signature (%s) without throwing', async (_name, signature) => {
    const { bt_payload } = sampleNotification()
    const verdict = await braintree.verify(formRequest(signature === '' ? { bt_payload } : { bt_signature: signature, bt_payload }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('rejects a payload that is not base64', async () => {
    const { bt_signature } = sampleNotification()
    expect(await braintree.verify(formRequest({ bt_signature, bt_payload: 'PD94bW wg<>' }), opts, now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })

  it('describes the kind and timestamp from the XML and a stable id from the payload', () => {
    const notification = sampleNotification(sdk.WebhookNotification.Kind.DisputeOpened, 'dispute_1')
    const described = braintree.describe(formRequest(notification))
    expect(described.type).toBe('dispute_opened')
    expect(described.occurredAt).toBeInstanceOf(Date)
    expect(described.deliveryId).toMatch(/^[0-9a-f]{64}$/)
    expect(braintree.describe(formRequest({ ...notification, bt_payload: notification.bt_payload.trim() })).deliveryId).toBe(described.deliveryId)
  })

  it('describes garbage bodies without throwing', () => {
    expect(braintree.describe(createRawRequest({ url: 'http://localhost/webhooks/braintree', body: 'bt_payload=%%%' }))).toMatchObject({ type: undefined, occurredAt: undefined })
    expect(braintree.describe(createRawRequest({ url: 'http://localhost/webhooks/braintree', body: '{"json":true}' }))).toEqual({})
  })
})
