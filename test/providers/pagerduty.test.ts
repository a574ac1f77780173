import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest } from '../../providers/kit.ts'
import { pagerduty } from '../../providers/pagerduty.ts'

// PagerDuty publishes no Node verifier. This vector (secret, body, signatures) is from PagerDuty's official
// Go client: https://github.com/PagerDuty/go-pagerduty/blob/master/webhookv3/webhookv3_test.go
const secret = 'lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK'
const body = `{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK","event_type":"incident.priority_updated","resource_type":"incident","occurred_at":"2021-04-26T17:36:27.458Z","agent":{"html_url":"https://acme.pagerduty.com/users/PLH1HKV","id":"PLH1HKV","self":"https://api.pagerduty.com/users/PLH1HKV","summary":"Tenex Engineer","type":"user_reference"},"client":null,"data":{"id":"PGR0VU2","type":"incident","self":"https://api.pagerduty.com/incidents/PGR0VU2","html_url":"https://acme.pagerduty.com/incidents/PGR0VU2","number":2,"status":"triggered","title":"A little bump in the road","service":{"html_url":"https://acme.pagerduty.com/services/PF9KMXH","id":"PF9KMXH","self":"https://api.pagerduty.com/services/PF9KMXH","summary":"API Service","type":"service_reference"},"assignees":[{"html_url":"https://acme.pagerduty.com/users/PTUXL6G","id":"PTUXL6G","self":"https://api.pagerduty.com/users/PTUXL6G","summary":"User 123","type":"user_reference"}],"escalation_policy":{"html_url":"https://acme.pagerduty.com/escalation_policies/PUS0KTE","id":"PUS0KTE","self":"https://api.pagerduty.com/escalation_policies/PUS0KTE","summary":"Default","type":"escalation_policy_reference"},"teams":[{"html_url":"https://acme.pagerduty.com/teams/PFCVPS0","id":"PFCVPS0","self":"https://api.pagerduty.com/teams/PFCVPS0","summary":"Engineering","type":"team_reference"}],"priority":{"html_url":"https://acme.pagerduty.com/account/incident_priorities","id":"PSO75BM","self":"https://api.pagerduty.com/priorities/PSO75BM","summary":"P1","type":"priority_reference"},"urgency":"high","conference_bridge":{"conference_number":1000,"conference_url":"https://example.com"},"resolve_reason":null}}}`
const validSignature = 'v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd'
const mismatchSignature = 'v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5'

const opts = pagerduty.options.parse({ secrets: [secret] })
const now = new Date()

const request = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/pagerduty', headers, body: payload })

// PagerDuty's documented JavaScript verifier (https://github.com/PagerDuty/developer-docs/blob/main/docs/webhooks/04-Signatures.md).
const documentedVerify = (key: string, payload: string, signatures: string) =>
  signatures.split(',').indexOf('v1=' + createHmac('sha256', key).update(payload).digest('hex')) > -1

describe('pagerduty', () => {
  it('accepts the valid signature of go-pagerduty\'s test vector', async () => {
    expect(await pagerduty.verify(request({ 'x-pagerduty-signature': validSignature }), opts, now)).toEqual({ ok: true })
  })

  it('rejects the mismatching signature of go-pagerduty\'s test vector', async () => {
    expect(await pagerduty.verify(request({ 'x-pagerduty-signature': mismatchSignature }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('produces signatures that PagerDuty\'s documented verifier accepts', async () => {
    const draft = await pagerduty.sign!(pagerduty.sample!(), opts, now)
    expect(documentedVerify(secret, draft.body, draft.headers['x-pagerduty-signature']!)).toBe(true)
  })

  it('signs the test vector\'s body exactly as go-pagerduty expects', async () => {
    const draft = await pagerduty.sign!({ method: 'POST', url: 'http://localhost/webhooks/pagerduty', headers: {}, body }, opts, now)
    expect(draft.headers['x-pagerduty-signature']).toBe(validSignature)
  })

  it('rejects a tampered body', async () => {
    expect(await pagerduty.verify(request({ 'x-pagerduty-signature': validSignature }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await pagerduty.verify(request({ 'x-pagerduty-signature': validSignature }), pagerduty.options.parse({ secrets: ['another secret'] }), now)).toMatchObject({
      ok: false,
      reason: 'mismatch',
    })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = pagerduty.options.parse({ secrets: ['old secret', secret] })
    expect(await pagerduty.verify(request({ 'x-pagerduty-signature': validSignature }), rotated, now)).toEqual({ ok: true })
  })

  it('accepts a header where only the second of several signatures matches', async () => {
    expect(await pagerduty.verify(request({ 'x-pagerduty-signature': `${mismatchSignature},${validSignature}` }), opts, now)).toEqual({ ok: true })
  })

  it('ignores signatures of unknown versions', async () => {
    expect(await pagerduty.verify(request({ 'x-pagerduty-signature': `v2=abc,${validSignature}` }), opts, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await pagerduty.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', ' ', 'v1=', 'v1=zz', 'v0=' + validSignature.slice(3), validSignature.slice(3), 'v1=' + 'a'.repeat(63), 'v1=' + 'g'.repeat(64), 'v1=' + 'a'.repeat(128), ',,,', '=,=,='])(
    'rejects the malformed header %j without throwing',
    async (header) => {
      const verdict = await pagerduty.verify(request({ 'x-pagerduty-signature': header }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('describes the event id, type and time from the body', () => {
    expect(pagerduty.describe(request({}))).toEqual({ deliveryId: '01BWDWL3NYY7LUFPZCC28QUCMK', type: 'incident.priority_updated', occurredAt: new Date('2021-04-26T17:36:27.458Z') })
  })

  it('describes a garbage body without throwing', () => {
    expect(pagerduty.describe(request({}, '{"event": 42'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
