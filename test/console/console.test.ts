import { sign } from '@octokit/webhooks-methods'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts'

const SECRET = 'console-test-github-secret'
const TOKEN = 'console-test-admin-token-0123456789'
const XSS = '<script>alert(1)</script>'

async function delivery(type: string, body: string, deliveryId: string, contentType = 'application/json') {
  return { headers: { 'content-type': contentType, 'x-github-event': type, 'x-github-delivery': deliveryId, 'x-hub-signature-256': await sign(SECRET, body) }, body }
}

describe('console', () => {
  let gw: TestGateway
  let cookie: string
  const ui = (path: string, init: RequestInit = {}) => fetch(`${gw.url}${path}`, { redirect: 'manual', ...init, headers: { cookie, ...(init.headers as Record<string, string>) } })
  const page = async (path: string) => {
    const res = await ui(path)
    expect(res.status, path).toBe(200)
    return { html: await res.text(), res }
  }
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!
  const idOf = async (deliveryId: string) => (await gw.store.list({ q: deliveryId })).items[0]!.id
  const login = async (token: string) =>
    fetch(`${gw.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, next: '/ui/events' }) })

  /** Marks the given events failed through the store, as a worker would. */
  async function failEvents(count: number) {
    const claimed = await gw.store.claim({ limit: count, leaseMs: 60_000, now: new Date() })
    for (const e of claimed) await gw.store.fail(e.id, { attempt: e.attempts, startedAt: new Date(), finishedAt: new Date(), error: `handler threw ${XSS}`, responseStatus: 502, responseBody: `<h1>bad gateway</h1>${XSS}` })
  }

  beforeAll(async () => {
    gw = await startTestGateway({ admin: { token: TOKEN }, sources: { github: { provider: 'github', secret: SECRET } } })
    await gw.send('github', await delivery(XSS, JSON.stringify({ comment: XSS, '"><img src=x onerror=alert(1)>': 1 }), `id-${XSS}`))
    await failEvents(1)
    await gw.send('github', await delivery('push', `payload=${encodeURIComponent(JSON.stringify({ text: XSS }))}&mode=%3Cb%3E`, 'form-1', 'application/x-www-form-urlencoded'))
    await gw.send('github', await delivery('push', `plain ${XSS}`, 'text-1', 'text/plain'))
    await gw.send('github', { headers: { 'x-hub-signature-256': 'sha256=00' }, body: XSS })
    const res = await login(TOKEN)
    cookie = res.headers.get('set-cookie')!.split(';')[0]!
  })
  afterAll(() => gw.close())

  describe('login', () => {
    it('sends a visitor without a session to the login page, remembering where they were going', async () => {
      const res = await fetch(`${gw.url}/ui/events?status=failed`, { redirect: 'manual' })
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/ui/login?next=%2Fui%2Fevents%3Fstatus%3Dfailed')
    })

    it('refuses a wrong token without setting a cookie', async () => {
      const res = await login('not-the-token-at-all')
      expect(res.status).toBe(401)
      expect(res.headers.get('set-cookie')).toBeNull()
      expect(await res.text()).toContain('That token is not right.')
    })

    it('keeps the session in an HttpOnly SameSite=Strict cookie that does not hold the token', async () => {
      const res = await login(TOKEN)
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/ui/events')
      const setCookie = res.headers.get('set-cookie')!
      expect(setCookie).toMatch(/HttpOnly/)
      expect(setCookie).toMatch(/SameSite=Strict/)
      expect(setCookie).toMatch(/Path=\/ui/)
      expect(setCookie).not.toContain(TOKEN)
    })

    it('refuses an oversized login form before reading it all', async () => {
      const res = await fetch(`${gw.url}/ui/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${'x'.repeat(200_000)}` })
      expect(res.status).toBe(413)
    })

    it('does not redirect to another site after login', async () => {
      for (const next of ['//evil.example/ui', 'https://evil.example/', '/uix', '/api/events']) {
        const res = await fetch(`${gw.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: TOKEN, next }) })
        expect(res.headers.get('location'), next).toBe('/ui')
      }
    })

    it('rejects a forged or tampered session cookie', async () => {
      const [name, value] = cookie.split('=') as [string, string]
      for (const forged of [`${name}=${TOKEN}`, `${name}=${value.slice(0, -2)}xx`, `${name}=a.1.b`]) {
        const res = await fetch(`${gw.url}/ui`, { redirect: 'manual', headers: { cookie: forged } })
        expect(res.status, forged).toBe(303)
      }
    })

    it('is not a way into the API', async () => {
      expect((await ui('/api/events')).status).toBe(401)
    })

    it('logs out with the CSRF token', async () => {
      const { html } = await page('/ui')
      const res = await ui('/ui/logout', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrfOf(html) }) })
      expect(res.status).toBe(303)
      expect(res.headers.get('set-cookie')).toMatch(/inhook_session=;/)
    })
  })

  describe('escaping', () => {
    it('shows a stored <script> payload as text on the event page', async () => {
      const { html, res } = await page(`/ui/events/${await idOf('id-')}`)
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
      expect(html).not.toContain(XSS)
      expect(html).not.toContain('<img src=x')
      expect(html).not.toMatch(/<script(?![^>]*nonce=)/)
      const nonce = /<script nonce="([^"]+)"/.exec(html)![1]
      expect(res.headers.get('content-security-policy')).toContain(`script-src 'nonce-${nonce}'`)
    })

    it('shows the attempts timeline with the error and the forward response, escaped', async () => {
      const { html } = await page(`/ui/events/${await idOf('id-')}`)
      const timeline = html.slice(html.indexOf('<ol class="timeline"'), html.indexOf('</ol>'))
      expect(timeline).toContain('attempt 1')
      expect(timeline).toContain('HTTP 502')
      expect(timeline).toContain('handler threw &lt;script&gt;alert(1)&lt;/script&gt;')
      expect(timeline).toContain('&lt;h1&gt;bad gateway&lt;/h1&gt;')
    })

    it('escapes every listing and the rejection log', async () => {
      for (const path of ['/ui/events', '/ui/events?status=failed', `/ui/events?q=${encodeURIComponent(XSS)}`, '/ui/rejections', '/ui']) {
        const { html } = await page(path)
        expect(html, path).not.toContain(XSS)
        expect(html, path).not.toMatch(/<script(?![^>]*nonce=)/)
      }
      expect((await page('/ui/events')).html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    })

    it('escapes form fields and plain text bodies', async () => {
      const form = (await page(`/ui/events/${await idOf('form-1')}`)).html
      expect(form).toContain('<table id="body-form">')
      expect(form).toContain('&lt;b&gt;')
      expect(form).toContain('&quot;text&quot;: &quot;&lt;script&gt;')
      expect(form).not.toContain(XSS)
      const text = (await page(`/ui/events/${await idOf('text-1')}`)).html
      expect(text).toContain('plain &lt;script&gt;alert(1)&lt;/script&gt;')
    })

    it('escapes an invalid filter echoed back in the error', async () => {
      const res = await ui(`/ui/events?since=${encodeURIComponent(XSS)}`)
      expect(res.status).toBe(400)
      const html = await res.text()
      expect(html).toContain('since: expected')
      expect(html).not.toContain(XSS)
    })

    it('serves a body download as an attachment that cannot run', async () => {
      const res = await ui(`/ui/events/${await idOf('text-1')}/body`)
      expect(res.headers.get('content-disposition')).toMatch(/^attachment/)
      expect(res.headers.get('content-security-policy')).toContain('sandbox')
      expect(await res.text()).toBe(`plain ${XSS}`)
    })
  })

  describe('replay', () => {
    it('refuses a replay without the CSRF token', async () => {
      const id = await idOf('id-')
      for (const body of [new URLSearchParams({}), new URLSearchParams({ _csrf: 'forged' })]) {
        const res = await ui(`/ui/events/${id}/replay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
        expect(res.status).toBe(403)
      }
      expect((await gw.store.get(id))!.status).toBe('failed')
    })

    it('refuses a replay without a session', async () => {
      const res = await fetch(`${gw.url}/ui/events/${await idOf('id-')}/replay`, { method: 'POST', redirect: 'manual' })
      expect(res.status).toBe(403)
    })

    it('replays with the token from the page and says so', async () => {
      const id = await idOf('id-')
      const { html } = await page(`/ui/events/${id}`)
      expect(html).toMatch(/<button type="submit" class="primary" id="replay"(?! disabled)/)
      const res = await ui(`/ui/events/${id}/replay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrfOf(html) }) })
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe(`/ui/events/${id}?flash=replayed`)
      expect((await gw.store.get(id))!.status).toBe('new')
      const after = (await page(res.headers.get('location')!)).html
      expect(after).toContain('Replayed: the event is queued')
      expect(after).toMatch(/id="replay" disabled/)
      expect(after).toContain('data-refresh-ms="1000"')
    })
  })

  describe('pages', () => {
    it('draws the traffic chart and the per-source counts on the overview', async () => {
      const { html } = await page('/ui')
      expect(html).toContain('<svg')
      for (const outcome of ['accepted', 'duplicate', 'rejected', 'processed', 'failed']) expect(html).toContain(`series-${outcome}`)
      expect(html).toMatch(/class="series series-accepted" data-total="3"/)
      expect(html).toMatch(/class="series series-rejected" data-total="1"/)
      expect(html).toContain('<table id="sources">')
      expect(html).toContain('href="/ui/events?source=github"')
    })

    it('filters and pages the events table', async () => {
      const first = (await page('/ui/events?limit=2')).html
      expect(first.match(/<tr data-id=/g)).toHaveLength(2)
      const older = /href="(\/ui\/events\?limit=2&amp;cursor=\d+)" rel="next"/.exec(first)![1]!.replace(/&amp;/g, '&')
      const second = (await page(older)).html
      expect(second.match(/<tr data-id=/g)).toHaveLength(1)
      expect(second).not.toContain('rel="next"')
      const failed = (await page('/ui/events?status=&source=github&type=push')).html
      expect(failed.match(/<tr data-id=/g)).toHaveLength(2)
    })

    it('lists rejections with reason, hint and advice', async () => {
      const { html } = await page('/ui/rejections')
      expect(html).toContain('malformed-signature')
      expect(html).toContain('is the source configured with the right provider?')
    })

    it('answers 404 for an unknown event', async () => {
      expect((await ui('/ui/events/424242')).status).toBe(404)
      expect((await ui('/ui/events/nope')).status).toBe(404)
    })
  })
})
