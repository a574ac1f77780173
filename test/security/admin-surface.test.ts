// The admin surface, enumerated from the app's own route table (a route added later is covered too):
// every /api route answers 401 without the bearer token or with a wrong one; every /ui page sends
// a visitor without a session to the login page, and refuses a state change outright; replays are
// POST-only. (Escaping and the CSRF token: test/console/console.test.ts; the API's details: test/admin.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { resolveConfig } from '../../src/config.ts'
import { createMetrics } from '../../src/metrics.ts'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { silentLog } from '../helpers/gateway.ts'

const TOKEN = 'admin-surface-token-0123456789'
/** Public on purpose: the login form itself, and the API's description (no data). */
const PUBLIC = new Set(['GET /ui/login', 'POST /ui/login', 'GET /api/openapi.json'])

describe('every admin route requires the token', () => {
  let store: SqliteStore
  let app: ReturnType<typeof createApp>
  let routes: { method: string; path: string }[]

  beforeAll(async () => {
    const config = await resolveConfig({ admin: { token: TOKEN }, sources: { github: { provider: 'github', secret: 's' } } })
    store = new SqliteStore(openDatabase(':memory:'))
    await store.append({ source: 'github', provider: 'github', method: 'POST', path: '/webhooks/github', query: '', headers: [], body: Buffer.from('{}'), receivedAt: new Date() })
    app = createApp({ config, store, log: silentLog, metrics: createMetrics(), adminToken: TOKEN })
    routes = app.routes
      .filter((r) => /^\/(api|ui)(\/|$)/.test(r.path) && !r.path.endsWith('*') && !PUBLIC.has(`${r.method} ${r.path}`))
      .map((r) => ({ method: r.method, path: r.path.replace(/:\w+/g, '1') }))
  })
  afterAll(() => store.close())

  it('finds the admin routes', () => {
    expect(routes.length).toBeGreaterThanOrEqual(10)
  })

  it.each([
    ['no credentials', {}],
    ['a wrong bearer token', { authorization: `Bearer ${TOKEN.slice(0, -1)}x` }],
    ['the token as a cookie', { cookie: `token=${TOKEN}; inhook_session=${TOKEN}` }],
    ['a forged session cookie', { cookie: 'inhook_session=AAAA.1700000000.BBBB' }],
  ])('refuses every /api and /ui route with %s', async (_, headers: Record<string, string>) => {
    const letIn: string[] = []
    for (const { method, path } of routes) {
      const res = await app.request(path, { method, headers: method === 'POST' ? { ...headers, 'content-type': 'application/x-www-form-urlencoded' } : headers, body: method === 'POST' ? '' : undefined })
      const refused = path.startsWith('/api') ? res.status === 401 : method === 'GET' ? res.status === 303 && res.headers.get('location')!.startsWith('/ui/login') : res.status === 403
      if (!refused) letIn.push(`${method} ${path} → ${res.status}`)
    }
    expect(letIn).toEqual([])
    expect((await store.get('1'))!.status).toBe('new')
  })

  it('replays only by POST: a GET with the token replays nothing', async () => {
    for (const path of ['/api/events/1/replay', '/api/events/replay']) {
      const res = await app.request(path, { headers: { authorization: `Bearer ${TOKEN}` } })
      expect(res.status, path).toBeGreaterThanOrEqual(400)
    }
    expect((await store.attempts('1')).filter((a) => a.outcome === 'replayed')).toEqual([])
  })
})
