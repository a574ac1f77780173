import { createHmac, generateKeyPairSync, sign as signWithKey } from 'node:crypto'
import nacl from 'tweetnacl'
import { describe, expect, it } from 'vitest'
import {
  anyDigestMatches,
  anyTokenEqual,
  batchKeyId,
  bodyDigestId,
  createRawRequest,
  credentialHeaders,
  decodeDigests,
  decodeRsaSignature,
  describeBatch,
  ed25519SecretKey,
  formDraft,
  matchHmacHeader,
  parseJson,
  parseUtcDateTime,
  pemPublicKeyOption,
  requestFields,
  sha256Id,
  signRsaSha1,
  signTimestampedHeader,
  signTimestampedHmac,
  tokenEqual,
  verifyRsaSha1,
  verifyTimestampedHeader,
  verifyTimestampedHmac,
  type TimestampedHeaderScheme,
  type TimestampedHmacScheme,
} from '../../providers/kit.ts'

// The helpers the provider modules share. Each provider's own tests prove it against its SDK; these pin
// the helpers' contracts, so a change to one is seen here before it is seen in sixty providers.

const NOW = new Date('2024-05-01T10:00:00Z')
const SECONDS = String(NOW.getTime() / 1000)
const body = '{"id":"evt_1"}'
const hex = (key: string, ...data: string[]) => createHmac('sha256', key).update(data.join('')).digest('hex')
const request = (headers: Record<string, string>, payload = body, method = 'POST', url = 'http://localhost/webhooks/x') => createRawRequest({ method, url, headers, body: payload })

const HINTS = { 'missing-signature': 'ms', 'missing-timestamp': 'mt', 'malformed-timestamp': 'mft', 'malformed-signature': 'mfs', mismatch: 'mm' }
const STRIPE_LIKE: TimestampedHeaderScheme = { header: 'x-sig', hints: HINTS }
const PADDLE_LIKE: TimestampedHeaderScheme = { header: 'x-sig', separator: ';', timestampKey: 'ts', signatureKey: 'h1', signedPayload: (ts, _s, b) => [`${ts}:`, b], signatureFirst: true, hints: HINTS }

describe('verifyTimestampedHeader', () => {
  const signed = (scheme: TimestampedHeaderScheme, secret = 's3cret', at = SECONDS) => request({ 'x-sig': signTimestampedHeader(scheme, secret, at, body) })

  it('accepts what signTimestampedHeader produces', () => {
    expect(verifyTimestampedHeader(signed(STRIPE_LIKE), ['s3cret'], STRIPE_LIKE, NOW, 300)).toEqual({ ok: true })
    expect(verifyTimestampedHeader(signed(PADDLE_LIKE), ['s3cret'], PADDLE_LIKE, NOW, 5)).toEqual({ ok: true })
  })

  it('signs `<timestamp>.<body>` by default, in the sender spelling of the header', () => {
    expect(signTimestampedHeader(STRIPE_LIKE, 'k', SECONDS, body)).toBe(`t=${SECONDS},v1=${hex('k', SECONDS, '.', body)}`)
    expect(signTimestampedHeader({ ...STRIPE_LIKE, separator: ', ' }, 'k', SECONDS, body)).toBe(`t=${SECONDS}, v1=${hex('k', SECONDS, '.', body)}`)
    expect(signTimestampedHeader(PADDLE_LIKE, 'k', SECONDS, body)).toBe(`ts=${SECONDS};h1=${hex('k', SECONDS, ':', body)}`)
  })

  it('accepts any presented signature against any configured secret (rotation both ways)', () => {
    const header = `t=${SECONDS},v1=${hex('old', SECONDS, '.', body)},v1=${hex('new', SECONDS, '.', body)}`
    expect(verifyTimestampedHeader(request({ 'x-sig': header }), ['other', 'new'], STRIPE_LIKE, NOW, 300)).toEqual({ ok: true })
  })

  it.each([
    ['no header', undefined, 'missing-signature'],
    ['no timestamp', `v1=${'ab'.repeat(32)}`, 'missing-timestamp'],
    ['an empty timestamp', `t=,v1=${'ab'.repeat(32)}`, 'missing-timestamp'],
    ['a timestamp that is not an integer', `t=1.5,v1=${'ab'.repeat(32)}`, 'malformed-timestamp'],
    ['no well-formed signature', `t=${SECONDS},v1=abc`, 'malformed-signature'],
    ['both a bad timestamp and a bad signature', 't=x,v1=abc', 'malformed-timestamp'],
    ['a stale timestamp and a wrong signature', `t=${Number(SECONDS) - 301},v1=${'ab'.repeat(32)}`, 'stale'],
    ['a wrong signature', `t=${SECONDS},v1=${'ab'.repeat(32)}`, 'mismatch'],
  ])('checks the window first: %s is %s', (_, header, reason) => {
    const verdict = verifyTimestampedHeader(request(header === undefined ? {} : { 'x-sig': header }), ['s3cret'], STRIPE_LIKE, NOW, 300)
    expect(verdict).toEqual({ ok: false, reason, hint: expect.any(String) })
  })

  it.each([
    ['both a bad timestamp and a bad signature', 'ts=x;h1=abc', 'malformed-signature'],
    ['a stale timestamp and a wrong signature', `ts=${Number(SECONDS) - 6};h1=${'ab'.repeat(32)}`, 'mismatch'],
  ])('with signatureFirst, judges the timestamp only once signed: %s is %s', (_, header, reason) => {
    expect(verifyTimestampedHeader(request({ 'x-sig': header }), ['s3cret'], PADDLE_LIKE, NOW, 5)).toMatchObject({ ok: false, reason })
  })

  it('with signatureFirst, refuses a stale timestamp once the signature matched', () => {
    expect(verifyTimestampedHeader(signed(PADDLE_LIKE, 's3cret', String(Number(SECONDS) - 6)), ['s3cret'], PADDLE_LIKE, NOW, 5)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('reads the last timestamp with lastTimestamp, an empty one being malformed', () => {
    const last = { ...STRIPE_LIKE, lastTimestamp: true }
    const v1 = hex('s3cret', SECONDS, '.', body)
    expect(verifyTimestampedHeader(request({ 'x-sig': `t=1,t=${SECONDS},v1=${v1}` }), ['s3cret'], last, NOW, 300)).toEqual({ ok: true })
    expect(verifyTimestampedHeader(request({ 'x-sig': `t=1,t=${SECONDS},v1=${v1}` }), ['s3cret'], STRIPE_LIKE, NOW, 300)).toMatchObject({ reason: 'stale' })
    expect(verifyTimestampedHeader(request({ 'x-sig': `t=,v1=${v1}` }), ['s3cret'], last, NOW, 300)).toMatchObject({ reason: 'malformed-timestamp' })
  })

  it('takes the window in seconds from toSeconds (milliseconds here)', () => {
    const ms: TimestampedHeaderScheme = { ...STRIPE_LIKE, toSeconds: (t) => Number(t) / 1000 }
    expect(verifyTimestampedHeader(signed(ms, 's3cret', String(NOW.getTime())), ['s3cret'], ms, NOW, 300)).toEqual({ ok: true })
    expect(verifyTimestampedHeader(signed(ms, 's3cret', String(NOW.getTime() - 301_000)), ['s3cret'], ms, NOW, 300)).toMatchObject({ reason: 'stale' })
  })

  it('names the number of secrets tried in a mismatch, never a secret', () => {
    const verdict = verifyTimestampedHeader(signed(STRIPE_LIKE, 'other'), ['s3cret', 'second'], STRIPE_LIKE, NOW, 300)
    expect(verdict).toMatchObject({ ok: false, reason: 'mismatch', hint: expect.stringContaining('tried 2 secrets') })
    expect(JSON.stringify(verdict)).not.toMatch(/s3cret|second/)
  })
})

describe('verifyTimestampedHmac', () => {
  const SCHEME: TimestampedHmacScheme = {
    header: 'x-sig',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: 'v0=',
    timestampHeader: 'x-ts',
    signedPayload: (_t, seconds, b) => [`v0:${seconds}:`, b],
    hints: { 'missing-signature': 'ms', 'missing-timestamp': 'mt', 'malformed-timestamp': 'mft', mismatch: 'mm' },
  }

  it('accepts what signTimestampedHmac produces', () => {
    const headers = signTimestampedHmac(SCHEME, 's3cret', SECONDS, body)
    expect(headers).toEqual({ 'x-ts': SECONDS, 'x-sig': `v0=${hex('s3cret', `v0:${SECONDS}:`, body)}` })
    expect(verifyTimestampedHmac(request(headers), ['other', 's3cret'], SCHEME, NOW, 300)).toEqual({ ok: true })
  })

  it.each([
    ['no signature', { 'x-ts': SECONDS }, 'missing-signature'],
    ['no timestamp', { 'x-sig': 'v0=ab' }, 'missing-timestamp'],
    ['a timestamp that is not an integer', { 'x-sig': 'v0=ab', 'x-ts': 'soon' }, 'malformed-timestamp'],
    ['a stale timestamp, before the signature is looked at', { 'x-sig': 'v0=ab', 'x-ts': String(Number(SECONDS) - 301) }, 'stale'],
    ['a malformed signature', { 'x-sig': 'v0=ab', 'x-ts': SECONDS }, 'malformed-signature'],
    ['a wrong signature', { 'x-sig': `v0=${'ab'.repeat(32)}`, 'x-ts': SECONDS }, 'mismatch'],
  ])('refuses %s as %s', (_, headers, reason) => {
    expect(verifyTimestampedHmac(request(headers), ['s3cret'], SCHEME, NOW, 300)).toMatchObject({ ok: false, reason })
  })
})

describe('matchHmacHeader', () => {
  const SCHEME = { header: 'x-sig', algorithm: 'sha256', encoding: 'hex' } as const

  it('tells which of the secrets matched', () => {
    const match = matchHmacHeader(request({ 'x-sig': hex('second', body) }), ['first', 'second', 'third'], SCHEME)
    expect(match).toEqual({ ok: true, secret: 'second' })
  })

  it('is a mismatch when none matches', () => {
    expect(matchHmacHeader(request({ 'x-sig': hex('fourth', body) }), ['first', 'second'], SCHEME)).toMatchObject({ ok: false, reason: 'mismatch' })
  })
})

describe('digests', () => {
  const a = Buffer.alloc(32, 1)
  const b = Buffer.alloc(32, 2)
  const c = Buffer.alloc(32, 3)

  it.each([
    [[a], [a], true],
    [[a, b], [c, b], true],
    [[a], [b, c], false],
    [[], [a], false],
    [[a], [], false],
  ])('anyDigestMatches(%#) is %s', (presented, candidates, expected) => {
    expect(anyDigestMatches(presented, candidates)).toBe(expected)
  })

  it('decodeDigests keeps only the well-formed digests of the given length', () => {
    expect(decodeDigests(['ab'.repeat(32), 'zz', 'ab'.repeat(20), 'AB'.repeat(32)], 'hex', 32)).toEqual([Buffer.alloc(32, 0xab), Buffer.alloc(32, 0xab)])
    expect(decodeDigests(undefined, 'hex', 32)).toEqual([])
  })
})

describe('tokens', () => {
  it.each([
    ['tok', 'tok', true],
    ['tok', 'tok2', false],
    ['', 'tok', false],
    ['tök', 'tök', true],
  ])('tokenEqual(%j, %j) is %s, whatever the lengths', (presented, expected, result) => {
    expect(tokenEqual(presented, expected)).toBe(result)
  })

  it('anyTokenEqual accepts any of the configured tokens', () => {
    expect(anyTokenEqual('new', ['old', 'new'])).toBe(true)
    expect(anyTokenEqual('gone', ['old', 'new'])).toBe(false)
  })

  it('credentialHeaders sends basic auth and the token header, as configured', () => {
    expect(credentialHeaders({ username: 'u', password: 'p', header: 'x-token', secrets: ['t1', 't2'] })).toEqual({ authorization: 'Basic dTpw', 'x-token': 't1' })
    expect(credentialHeaders({ header: 'x-token', secrets: ['t1'] })).toEqual({ 'x-token': 't1' })
    expect(credentialHeaders({ username: 'u' })).toEqual({})
  })
})

describe('delivery ids', () => {
  it('sha256Id is the prefixed hex SHA-256', () => {
    expect(sha256Id('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('bodyDigestId hashes the body, and gives no id for an empty one', () => {
    expect(bodyDigestId(request({}, 'abc'))).toBe(sha256Id('abc'))
    expect(bodyDigestId(request({}, ''))).toBeUndefined()
  })

  it.each([
    [[], undefined],
    [['a:1'], 'a:1'],
    [['b:2', 'a:1'], sha256Id('a:1\nb:2')],
  ])('batchKeyId(%j) is %s', (keys, id) => {
    expect(batchKeyId(keys)).toBe(id)
  })

  it('describeBatch uses the lone id, else a hash of the ids, else of the body', () => {
    const fields = { id: 'id', type: ['event'], time: 'ts' }
    expect(describeBatch(request({}), [{ id: 'e1', event: 'sent', ts: 1714557600 }], fields)).toEqual({ deliveryId: 'e1', type: 'sent', occurredAt: NOW })
    expect(describeBatch(request({}), [{ id: 'e1', event: 'sent' }, { id: 'e2', event: 'open' }, { id: 'e3', event: 'sent' }], fields)).toMatchObject({ deliveryId: sha256Id('e1\ne2\ne3'), type: 'sent,open' })
    expect(describeBatch(request({}, 'raw'), [{ event: 'sent' }], fields)).toMatchObject({ deliveryId: sha256Id('raw') })
    expect(describeBatch(request({}), [], fields)).toEqual({})
  })
})

describe('request fields and dates', () => {
  it.each([
    ['2024-05-01 10:00:00', NOW],
    ['2024-05-01T10:00:00', undefined],
    ['2024-05-01 10:00', undefined],
    [null, undefined],
    [1714557600, undefined],
  ])('parseUtcDateTime(%j) is %s', (value, date) => {
    expect(parseUtcDateTime(value)).toEqual(date)
  })

  it('requestFields reads a JSON object, else the query of a GET, else the form', () => {
    expect(requestFields(request({ 'content-type': 'application/json' }, '{"a":"1"}'))).toEqual({ a: '1' })
    expect(requestFields(request({}, '', 'GET', 'http://localhost/x?b=2'))).toEqual({ b: '2' })
    expect(requestFields(request({}, 'c=3&d=4'))).toEqual({ c: '3', d: '4' })
    expect(requestFields(request({}, '[1,2]'))).toEqual({ '[1,2]': '' })
  })

  it.each([
    ['{"a":1}', { a: 1 }],
    ['null', null],
    ['{', undefined],
    [null, undefined],
    [undefined, undefined],
  ])('parseJson(%j) is %j', (text, value) => {
    expect(parseJson(text)).toEqual(value)
  })

  it('formDraft is a urlencoded POST', () => {
    expect(formDraft({ a: '1', b: 'x y' }, { 'user-agent': 'ua' }, 'http://localhost/x')).toEqual({
      method: 'POST',
      url: 'http://localhost/x',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'ua' },
      body: 'a=1&b=x+y',
    })
  })
})

describe('keys', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const publicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString()
  const privatePem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()

  it('signRsaSha1 and verifyRsaSha1 agree, and a wrong key or a bad one is false, not a throw', () => {
    const signature = Buffer.from(signRsaSha1(privatePem, 'payload'), 'base64')
    expect(signature).toEqual(signWithKey('sha1', Buffer.from('payload'), rsa.privateKey))
    expect(verifyRsaSha1(publicPem, 'payload', signature)).toBe(true)
    expect(verifyRsaSha1(publicPem, 'payload!', signature)).toBe(false)
    expect(verifyRsaSha1('not a key', 'payload', signature)).toBe(false)
  })

  it.each([
    ['a 1024-bit signature with line breaks', Buffer.alloc(128, 7).toString('base64').replace(/(.{60})/g, '$1\n'), 128],
    ['too short', Buffer.alloc(63, 7).toString('base64'), undefined],
    ['too long', Buffer.alloc(1025, 7).toString('base64'), undefined],
    ['not base64', '!!!!', undefined],
  ])('decodeRsaSignature: %s', (_, text, length) => {
    expect(decodeRsaSignature(text)?.length).toBe(length)
  })

  it('pemPublicKeyOption accepts a PEM public key and reports its own message otherwise', () => {
    const option = pemPublicKeyOption('paste the key')
    expect(option.safeParse(publicPem).success).toBe(true)
    expect(option.safeParse('nope').error?.issues[0]?.message).toBe('paste the key')
  })

  it('ed25519SecretKey takes a 32-byte seed or a 64-byte secret key', () => {
    const seed = new Uint8Array(32).fill(9)
    const pair = nacl.sign.keyPair.fromSeed(seed)
    expect(ed25519SecretKey(seed)).toEqual(pair.secretKey)
    expect(ed25519SecretKey(pair.secretKey)).toBe(pair.secretKey)
    expect(() => ed25519SecretKey(new Uint8Array(16))).toThrow('got 16 bytes')
  })
})
