import { InteractionResponseType, InteractionType, verifyKey } from 'discord-interactions'
import nacl from 'tweetnacl'
import { describe, expect, it } from 'vitest'
import { discord } from '../../providers/discord.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// discord-interactions can only verify (verifyKey), so both directions are proven: verifyKey accepts
// what sign() produces, and verify() accepts a request, signed independently with tweetnacl, that
// verifyKey accepts. The key pair is generated here.
const keys = nacl.sign.keyPair()
const otherKeys = nacl.sign.keyPair()
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const publicKey = hex(keys.publicKey)
const opts = discord.options.parse({ publicKey, privateKey: hex(keys.secretKey) })
const now = new Date('2024-05-14T12:00:00Z')
const timestamp = String(now.getTime() / 1000)

const interaction = JSON.stringify({ id: '1240000000000000000', application_id: '1234567890123456789', type: 2, token: 'aW50ZXJhY3Rpb246', data: { name: 'blep' }, version: 1 })
const signWith = (secretKey: Uint8Array, body: string, ts = timestamp) => hex(nacl.sign.detached(Buffer.from(ts + body), secretKey))

const request = (body: string, headers: Record<string, string> = { 'x-signature-ed25519': signWith(keys.secretKey, body), 'x-signature-timestamp': timestamp }) =>
  createRawRequest({ url: 'http://localhost/webhooks/discord', headers: { 'content-type': 'application/json', ...headers }, body })

describe('discord', () => {
  it('accepts an interaction that discord-interactions verifyKey accepts', async () => {
    const signature = signWith(keys.secretKey, interaction)
    expect(await verifyKey(interaction, signature, timestamp, publicKey)).toBe(true)
    expect(await discord.verify(request(interaction), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that discord-interactions verifyKey accepts', async () => {
    const draft = await discord.sign!(discord.sample!('APPLICATION_COMMAND'), opts, now)
    expect(await verifyKey(draft.body, draft.headers['x-signature-ed25519']!, draft.headers['x-signature-timestamp']!, publicKey)).toBe(true)
    expect(await discord.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('signs with a 32-byte seed as well as a 64-byte secret key', async () => {
    const seeded = discord.options.parse({ publicKey, privateKey: hex(keys.secretKey.subarray(0, 32)) })
    const draft = await discord.sign!(discord.sample!(), seeded, now)
    expect(await verifyKey(draft.body, draft.headers['x-signature-ed25519']!, draft.headers['x-signature-timestamp']!, publicKey)).toBe(true)
  })

  it('rejects a tampered body', async () => {
    const headers = { 'x-signature-ed25519': signWith(keys.secretKey, interaction), 'x-signature-timestamp': timestamp }
    expect(await discord.verify(request(interaction.replace('blep', 'bleep'), headers), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a request signed with another key', async () => {
    const headers = { 'x-signature-ed25519': signWith(otherKeys.secretKey, interaction), 'x-signature-timestamp': timestamp }
    expect(await discord.verify(request(interaction, headers), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a replayed timestamp outside the tolerance', async () => {
    const later = new Date(now.getTime() + 10 * 60 * 1000)
    expect(await discord.verify(request(interaction), opts, later)).toMatchObject({ ok: false, reason: 'stale' })
    expect(await discord.verify(request(interaction), discord.options.parse({ publicKey, toleranceSeconds: 0 }), later)).toEqual({ ok: true })
  })

  it('rejects missing signature and timestamp headers', async () => {
    expect(await discord.verify(request(interaction, { 'x-signature-timestamp': timestamp }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
    expect(await discord.verify(request(interaction, { 'x-signature-ed25519': signWith(keys.secretKey, interaction) }), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it.each([
    ['empty signature', { 'x-signature-ed25519': '', 'x-signature-timestamp': timestamp }],
    ['short signature', { 'x-signature-ed25519': 'abcd', 'x-signature-timestamp': timestamp }],
    ['non-hex signature', { 'x-signature-ed25519': 'z'.repeat(128), 'x-signature-timestamp': timestamp }],
    ['base64 signature', { 'x-signature-ed25519': Buffer.alloc(64).toString('base64'), 'x-signature-timestamp': timestamp }],
    ['zero signature', { 'x-signature-ed25519': '0'.repeat(128), 'x-signature-timestamp': timestamp }],
    ['text timestamp', { 'x-signature-ed25519': '0'.repeat(128), 'x-signature-timestamp': 'yesterday' }],
    ['absurd timestamp', { 'x-signature-ed25519': '0'.repeat(128), 'x-signature-timestamp': '9'.repeat(40) }],
    ['negative timestamp', { 'x-signature-ed25519': '0'.repeat(128), 'x-signature-timestamp': '-1' }],
  ])('rejects the malformed headers (%s) without throwing', async (_name, headers) => {
    expect((await discord.verify(request(interaction, headers), opts, now)).ok).toBe(false)
  })

  it('answers a signed interaction PING with PONG', async () => {
    const ping = JSON.stringify({ id: '1240000000000000001', application_id: '1', type: InteractionType.PING, token: 't', version: 1 })
    const answer = await discord.challenge!(request(ping), opts, now)
    expect(answer).toEqual({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: InteractionResponseType.PONG }) })
  })

  it('answers a signed webhook-event PING with 204', async () => {
    const ping = JSON.stringify({ version: 1, application_id: '1', type: 0 })
    expect(await discord.challenge!(request(ping), opts, now)).toMatchObject({ status: 204, body: '' })
  })

  it('refuses a PING with a bad signature', async () => {
    const ping = JSON.stringify({ type: 1 })
    const headers = { 'x-signature-ed25519': signWith(otherKeys.secretKey, ping), 'x-signature-timestamp': timestamp }
    expect(await discord.challenge!(request(ping, headers), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('leaves interactions and webhook events that are not PINGs to verify', async () => {
    expect(await discord.challenge!(request(interaction), opts, now)).toBeUndefined()
    expect(await discord.challenge!(request(JSON.stringify({ version: 1, type: 1, event: { type: 'ENTITLEMENT_CREATE' } })), opts, now)).toBeUndefined()
    expect(await discord.challenge!(request('not json'), opts, now)).toBeUndefined()
  })

  it.each([
    [InteractionType.APPLICATION_COMMAND, { type: InteractionResponseType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE }],
    [InteractionType.MODAL_SUBMIT, { type: InteractionResponseType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE }],
    [InteractionType.MESSAGE_COMPONENT, { type: InteractionResponseType.DEFERRED_UPDATE_MESSAGE }],
    [InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE, { type: InteractionResponseType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT, data: { choices: [] } }],
  ])('acknowledges interaction type %i with a deferred callback', (type, callback) => {
    const ack = discord.ack!(request(JSON.stringify({ id: '1', type, token: 't' })), opts)
    expect(ack).toMatchObject({ status: 200 })
    expect(JSON.parse(ack.body)).toEqual(callback)
  })

  it('marks deferred messages ephemeral when asked', () => {
    const ack = discord.ack!(request(interaction), discord.options.parse({ publicKey, ephemeral: true }))
    expect(JSON.parse(ack.body)).toEqual({ type: InteractionResponseType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, data: { flags: 64 } })
  })

  it('acknowledges webhook events with 204 and no body', () => {
    const event = JSON.stringify({ version: 1, application_id: '1', type: 1, event: { type: 'APPLICATION_AUTHORIZED', timestamp: '2024-05-14T11:59:58.000Z', data: {} } })
    expect(discord.ack!(request(event), opts)).toMatchObject({ status: 204, body: '' })
  })

  it('describes an interaction by its id, type name and snowflake time', () => {
    expect(discord.describe(request(interaction))).toEqual({ deliveryId: '1240000000000000000', type: 'APPLICATION_COMMAND', occurredAt: new Date(Number((1240000000000000000n >> 22n) + 1420070400000n)) })
  })

  it('describes a webhook event by its type and timestamp, with a payload hash as id', () => {
    const event = JSON.stringify({ version: 1, application_id: '1', type: 1, event: { type: 'ENTITLEMENT_CREATE', timestamp: '2024-05-14T11:59:58.000Z', data: {} } })
    const described = discord.describe(request(event))
    expect(described).toMatchObject({ type: 'ENTITLEMENT_CREATE', occurredAt: new Date('2024-05-14T11:59:58.000Z') })
    expect(described.deliveryId).toMatch(/^[0-9a-f]{64}$/)
  })

  it('describes garbage bodies without throwing', () => {
    expect(discord.describe(request('[1,2'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
    expect(discord.describe(request('{"id":"x".'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })

  it('refuses to sign without the test-only privateKey', () => {
    expect(() => discord.sign!(discord.sample!(), discord.options.parse({ publicKey }), now)).toThrow(/privateKey/)
  })
})
