// Vendors that send Standard Webhooks (directly or through Svix): each is the same module functions with its
// own name, headers and payload. Every vendor SDK that can verify is shown to accept our sign(), and our verify()
// to accept what that SDK accepts.
import { verifyWebhook as clerkVerifyWebhook } from '@clerk/backend/webhooks'
import { validateEvent as polarValidateEvent } from '@polar-sh/sdk/webhooks'
import OpenAI from 'openai'
import { validateWebhook as replicateValidateWebhook } from 'replicate'
import { Resend } from 'resend'
import { Webhook as StandardWebhook } from 'standardwebhooks'
import { Webhook as SvixWebhook } from 'svix'
import { describe, expect, it } from 'vitest'
import { brex } from '../../providers/brex.ts'
import { clerk } from '../../providers/clerk.ts'
import { createRawRequest, draftToRawRequest, type Provider, type RequestDraft } from '../../providers/kit.ts'
import { openai } from '../../providers/openai.ts'
import { polar } from '../../providers/polar.ts'
import { replicate } from '../../providers/replicate.ts'
import { resend } from '../../providers/resend.ts'
import { standardWebhooks } from '../../providers/standard-webhooks.ts'
import { svix } from '../../providers/svix.ts'

const whsec = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'
/** Polar shows its secret as-is; its SDK uses the secret's own bytes as the HMAC key. */
const polarSecret = 'polar_whs_5EvYdGvZPCJdaY1eGsH7wF6mxBQ7ZyFtK1Xv8g2s1e3'
// The vendor SDKs check their own clocks, so these deliveries use the real time.
const now = new Date(Math.floor(Date.now() / 1000) * 1000) // whole seconds, like the headers

interface Alias {
  provider: Provider
  title: string
  /** Which header spelling the vendor sends. */
  prefix: 'svix-' | 'webhook-'
  secret: string
  /** Resolves when the vendor's own verifier accepts the delivery, rejects otherwise. */
  vendorVerify(draft: RequestDraft, secret: string): Promise<unknown>
  /** A delivery signed by the reference SDK the vendor builds on (svix / standardwebhooks), the way the vendor does. */
  referenceSign(id: string, at: Date, body: string, secret: string): string
  type: string
  occurredAt: (body: any) => Date | undefined
}

const headerTriple = (draft: RequestDraft, prefix: string) => ({
  id: draft.headers[`${prefix}id`]!,
  timestamp: draft.headers[`${prefix}timestamp`]!,
  signature: draft.headers[`${prefix}signature`]!,
})

const svixSign = (id: string, at: Date, body: string, secret: string) => new SvixWebhook(secret).sign(id, at, body)
const standardSign = (id: string, at: Date, body: string, secret: string) => new StandardWebhook(secret).sign(id, at, body)

const aliases: Alias[] = [
  {
    provider: clerk,
    title: 'Clerk',
    prefix: 'svix-',
    secret: whsec,
    vendorVerify: (draft, secret) => clerkVerifyWebhook(new Request(draft.url, { method: 'POST', headers: draft.headers, body: draft.body }), { signingSecret: secret }),
    referenceSign: svixSign,
    type: 'user.created',
    occurredAt: (body) => new Date(body.timestamp),
  },
  {
    provider: resend,
    title: 'Resend',
    prefix: 'svix-',
    secret: whsec,
    vendorVerify: async (draft, secret) => new Resend('re_test_key').webhooks.verify({ payload: draft.body, headers: headerTriple(draft, 'svix-'), webhookSecret: secret }),
    referenceSign: svixSign,
    type: 'email.delivered',
    occurredAt: (body) => new Date(body.created_at),
  },
  {
    provider: openai,
    title: 'OpenAI',
    prefix: 'webhook-',
    secret: whsec,
    vendorVerify: (draft, secret) => new OpenAI({ apiKey: 'sk-test', webhookSecret: secret }).webhooks.unwrap(draft.body, draft.headers),
    referenceSign: standardSign,
    type: 'response.completed',
    occurredAt: (body) => new Date(body.created_at * 1000),
  },
  {
    provider: brex,
    title: 'Brex',
    prefix: 'webhook-',
    secret: whsec,
    // Brex publishes no SDK verifier; it documents the Standard Webhooks scheme, so the reference SDK stands in.
    vendorVerify: async (draft, secret) => new StandardWebhook(secret).verify(draft.body, draft.headers),
    referenceSign: standardSign,
    type: 'REFERRAL_ACTIVATED',
    occurredAt: () => undefined,
  },
  {
    provider: replicate,
    title: 'Replicate',
    prefix: 'webhook-',
    secret: whsec,
    async vendorVerify(draft, secret) {
      const ok = await replicateValidateWebhook({ ...headerTriple(draft, 'webhook-'), body: draft.body, secret })
      if (!ok) throw new Error('replicate validateWebhook returned false')
    },
    referenceSign: standardSign,
    type: 'succeeded',
    occurredAt: () => undefined,
  },
  {
    provider: polar,
    title: 'Polar',
    prefix: 'webhook-',
    secret: polarSecret,
    vendorVerify: async (draft, secret) => polarValidateEvent(draft.body, draft.headers, secret),
    // What Polar's own SDK tests do: the standardwebhooks SDK keyed with the base64 of the raw secret.
    referenceSign: (id, at, body, secret) => standardSign(id, at, body, Buffer.from(secret, 'utf8').toString('base64')),
    type: 'customer.created',
    occurredAt: (body) => new Date(body.timestamp),
  },
]

const sampleOf = (alias: Alias) => alias.provider.sample!()
const optionsOf = (alias: Alias, secrets = [alias.secret]) => alias.provider.options.parse({ secrets })

/** A delivery of the alias's sample signed by the reference SDK, with the vendor's header spelling. */
const referenceDelivery = (alias: Alias, at = now, secret = alias.secret): RequestDraft => {
  const draft = sampleOf(alias)
  const id = draft.headers[`${alias.prefix}id`]!
  return {
    ...draft,
    headers: {
      ...draft.headers,
      [`${alias.prefix}timestamp`]: String(Math.floor(at.getTime() / 1000)),
      [`${alias.prefix}signature`]: alias.referenceSign(id, at, draft.body, secret),
    },
  }
}

describe.each(aliases)('$provider.name', (alias) => {
  const { provider } = alias

  it('is its own catalogue entry built on the standard-webhooks functions', () => {
    expect(provider.title).toBe(alias.title)
    expect(provider.docs).toMatch(/^https:\/\//)
    expect(provider.docs).not.toBe(standardWebhooks.docs)
    expect(Object.keys(provider).sort()).toEqual(Object.keys(standardWebhooks).sort())
  })

  it("produces deliveries that the vendor's own verifier accepts", async () => {
    const draft = await provider.sign!(sampleOf(alias), optionsOf(alias), now)
    expect(Object.keys(draft.headers)).toEqual(expect.arrayContaining([`${alias.prefix}id`, `${alias.prefix}timestamp`, `${alias.prefix}signature`]))
    await alias.vendorVerify(draft, alias.secret) // throws when the vendor refuses it
  })

  it("is checked by a vendor verifier that does refuse a forged delivery", async () => {
    const draft = await provider.sign!(sampleOf(alias), optionsOf(alias), now)
    await expect(alias.vendorVerify({ ...draft, body: draft.body.replace('}', ',"forged":true}') }, alias.secret)).rejects.toThrow()
  })

  it("accepts a delivery that the vendor's own verifier accepts", async () => {
    const draft = referenceDelivery(alias)
    await alias.vendorVerify(draft, alias.secret)
    expect(await provider.verify(draftToRawRequest(draft), optionsOf(alias), now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    const draft = referenceDelivery(alias)
    expect(await provider.verify(draftToRawRequest({ ...draft, body: draft.body.replace('}', ',"extra":1}') }), optionsOf(alias), now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    const other = alias.secret.startsWith('whsec_') ? 'whsec_' + Buffer.from('somebody else entirely!').toString('base64') : 'polar_whs_somebody_else'
    expect(await provider.verify(draftToRawRequest(referenceDelivery(alias, now, other)), optionsOf(alias), now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a timestamp outside the five-minute tolerance', async () => {
    const draft = referenceDelivery(alias, new Date(now.getTime() - 10 * 60_000))
    expect(await provider.verify(draftToRawRequest(draft), optionsOf(alias), now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const old = alias.secret.startsWith('whsec_') ? 'whsec_' + Buffer.from('the retired signing key').toString('base64') : 'polar_whs_retired'
    expect(await provider.verify(draftToRawRequest(referenceDelivery(alias)), optionsOf(alias, [old, alias.secret]), now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    const { [`${alias.prefix}signature`]: _, ...headers } = referenceDelivery(alias).headers
    const req = createRawRequest({ url: 'http://localhost/webhooks/x', headers, body: sampleOf(alias).body })
    expect(await provider.verify(req, optionsOf(alias), now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'v1,', 'v1,@@@@', 'v1a,AAAA', 'v1 ' + 'A'.repeat(44), 'v1,' + 'A'.repeat(100_000)])('rejects the malformed signature %j without throwing', async (signature) => {
    const draft = referenceDelivery(alias)
    const verdict = await provider.verify(draftToRawRequest({ ...draft, headers: { ...draft.headers, [`${alias.prefix}signature`]: signature } }), optionsOf(alias), now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the message id, event type and event time', () => {
    const draft = referenceDelivery(alias)
    expect(provider.describe(draftToRawRequest(draft))).toEqual({
      deliveryId: draft.headers[`${alias.prefix}id`],
      type: alias.type,
      occurredAt: alias.occurredAt(JSON.parse(draft.body)),
    })
  })
})

describe('alias header spellings', () => {
  it('reads webhook-* headers on the svix-spelled vendors too', async () => {
    const draft = referenceDelivery(aliases[1]!) // resend, svix-*
    const headers = Object.fromEntries(Object.entries(draft.headers).map(([k, v]) => [k.replace(/^svix-/, 'webhook-'), v]))
    expect(await resend.verify(draftToRawRequest({ ...draft, headers }), optionsOf(aliases[1]!), now)).toEqual({ ok: true })
  })

  it('does not read svix-* headers on the webhook-spelled vendors', async () => {
    const draft = referenceDelivery(aliases[2]!) // openai, webhook-*
    const headers = Object.fromEntries(Object.entries(draft.headers).map(([k, v]) => [k.replace(/^webhook-/, 'svix-'), v]))
    expect(await openai.verify(draftToRawRequest({ ...draft, headers }), optionsOf(aliases[2]!), now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('uses the Polar secret as shown, not base64-decoded like a whsec_ secret', async () => {
    const draft = await polar.sign!(polar.sample!(), polar.options.parse({ secrets: [polarSecret] }), now)
    expect(() => polarValidateEvent(draft.body, draft.headers, polarSecret)).not.toThrow()
    expect(() => new StandardWebhook(polarSecret.replace(/^polar_whs_/, '')).verify(draft.body, draft.headers)).toThrow()
  })

  it('refuses an svix-style secret that is not base64', () => {
    expect(clerk.options.safeParse({ secrets: ['whsec_not base64 at all'] }).success).toBe(false)
  })
})
