// The web console at /ui: overview, events, event detail with replay, rejections. Server-rendered
// (readable without JavaScript), logged in by the admin token kept as a signed HttpOnly SameSite=Strict
// cookie, every form that changes something carrying the session's CSRF token.
import { randomBytes } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { JSX } from 'hono/jsx/jsx-runtime'
import { EVENT_STATUSES, type EventStatus } from '../../store/schema.ts'
import { isStorageFailure, MAX_REQUEST_BYTES, rawBodyHeaders, toFilter, type AdminDeps } from '../api.ts'
import { createSession, csrfMatches, csrfToken, SESSION_MAX_AGE_SECONDS, tokenMatches, verifySession } from '../auth.ts'
import { ListQuerySchema, RejectionsQuerySchema } from '../schemas.ts'
import type { MinutePoint } from './chart.tsx'
import { EventPage } from './event.tsx'
import { EventsPage, filterQuery, type EventFilters } from './events.tsx'
import { Layout, type PageContext } from './layout.tsx'
import { LoginPage } from './login.tsx'
import { OverviewPage, type SourceRow } from './overview.tsx'
import { RejectionsPage } from './rejections.tsx'

const COOKIE = 'inhook_session'
const MINUTE_MS = 60_000
const CHART_MINUTES = 60

type Env = { Variables: { page: PageContext; nonce: string } }

/** Headers on every console response: nothing but our own nonce'd script and style may run. */
function securityHeaders(nonce: string): Record<string, string> {
  return {
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  }
}

const render = (c: Context<Env>, page: JSX.Element, status: 200 | 400 | 401 | 403 | 404 | 500 | 503 = 200) => c.html(page as Promise<string> | string, status)

/** Query values without the empty strings an HTML form sends for blank fields. */
const setValues = (query: Record<string, string>) => Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''))

const errorText = (issues: { path: PropertyKey[]; message: string }[]) => issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')

/** Only a path inside the console may be a redirect target after login. */
const safeNext = (next: unknown) => (typeof next === 'string' && /^\/ui(?:[/?]|$)/.test(next) && !next.startsWith('//') ? next : '/ui')

export function createConsole(deps: AdminDeps): Hono<Env> {
  const { store, config } = deps
  const now = deps.now ?? (() => new Date())
  const ui = new Hono<Env>()

  const secure = (c: Context) => new URL(c.req.url).protocol === 'https:' || (config.server.publicUrl?.startsWith('https:') ?? false)
  const sourceNames = () => [...config.sources.keys()].sort()

  ui.use('*', bodyLimit({ maxSize: MAX_REQUEST_BYTES, onError: (c) => c.text('request too large', 413) }))
  ui.use('*', async (c, next) => {
    const nonce = randomBytes(16).toString('base64')
    c.set('nonce', nonce)
    const session = verifySession(deps.adminToken, getCookie(c, COOKIE), now())
    c.set('page', { nonce, now: now(), csrf: session ? csrfToken(deps.adminToken, session) : undefined })
    const isLogin = c.req.path === '/ui/login'
    if (!session && !isLogin) {
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return c.text('forbidden: log in first', 403)
      const url = new URL(c.req.url)
      return c.redirect(`/ui/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303)
    }
    // A state-changing request must carry the session's CSRF token (SameSite=Strict is the first line).
    if (session && c.req.method === 'POST' && !isLogin) {
      const form = await c.req.parseBody()
      if (!csrfMatches(deps.adminToken, session, form._csrf)) return c.text('forbidden: the form is stale or came from another site; reload the page', 403)
    }
    await next()
    for (const [name, value] of Object.entries(securityHeaders(nonce))) if (!c.res.headers.has(name)) c.res.headers.set(name, value)
  })

  ui.get('/login', (c) => {
    if (c.var.page.csrf) return c.redirect(safeNext(c.req.query('next')), 303)
    return render(c, <LoginPage page={c.var.page} next={safeNext(c.req.query('next'))} />)
  })

  ui.post('/login', async (c) => {
    const form = await c.req.parseBody()
    const next = safeNext(form.next)
    if (typeof form.token !== 'string' || !tokenMatches(form.token.trim(), deps.adminToken)) {
      return render(c, <LoginPage page={c.var.page} next={next} error="That token is not right." />, 401)
    }
    setCookie(c, COOKIE, createSession(deps.adminToken, now()), { httpOnly: true, sameSite: 'Strict', path: '/ui', maxAge: SESSION_MAX_AGE_SECONDS, secure: secure(c) })
    return c.redirect(next, 303)
  })

  ui.post('/logout', (c) => {
    deleteCookie(c, COOKIE, { path: '/ui', secure: secure(c) })
    return c.redirect('/ui/login', 303)
  })

  ui.get('/', async (c) => {
    const at = now()
    const [stats, rates] = await Promise.all([store.stats(at), store.rates(at)])
    const firstMinute = Math.floor(at.getTime() / MINUTE_MS) - (CHART_MINUTES - 1)
    const traffic = await store.traffic({ since: new Date(firstMinute * MINUTE_MS), until: new Date((firstMinute + CHART_MINUTES) * MINUTE_MS) })
    const duplicates = deps.metrics.duplicatesPerMinute
    const points: MinutePoint[] = traffic.map((t) => ({ ...t, duplicate: duplicates.get(t.minute) }))
    const rows = new Map<string, SourceRow>()
    const empty = () => Object.fromEntries(EVENT_STATUSES.map((s) => [s, 0])) as Record<EventStatus, number>
    for (const s of config.sources.values()) rows.set(s.name, { name: s.name, provider: s.provider.name, counts: empty() })
    for (const r of stats.bySourceStatus) {
      const row = rows.get(r.source) ?? rows.set(r.source, { name: r.source, provider: '(not configured)', counts: empty() }).get(r.source)!
      row.counts[r.status] = r.count
    }
    return render(
      c,
      <OverviewPage page={c.var.page} points={points} stats={stats} rates={{ ...rates, duplicates: { lastHour: duplicates.total(at, 60) } }} sources={[...rows.values()].sort((a, b) => a.name.localeCompare(b.name))} />,
    )
  })

  ui.get('/events', async (c) => {
    const query = setValues(c.req.query())
    const filters: EventFilters = { source: query.source, status: query.status, type: query.type, q: query.q, since: query.since, until: query.until, limit: query.limit }
    const sources = sourceNames()
    if (filters.source && !sources.includes(filters.source)) sources.push(filters.source)
    const parsed = ListQuerySchema.safeParse(query)
    if (!parsed.success) return render(c, <EventsPage page={c.var.page} items={[]} filters={filters} sources={sources} error={errorText(parsed.error.issues)} />, 400)
    const { limit, cursor, ...rest } = parsed.data
    const filter = toFilter(rest, now())
    const page = await store.list({ ...filter, limit, cursor })
    const replayable = filter.status === 'failed' || filter.status === 'processed' ? await store.countWhere(filter) : undefined
    const flash = c.req.query('flash') === 'replayed' ? `Replayed ${Number(c.req.query('n') ?? 0)} event(s); they will be processed again.` : undefined
    return render(c, <EventsPage page={c.var.page} items={page.items} filters={filters} sources={sources} nextCursor={page.nextCursor} cursor={cursor} replayable={replayable} flash={flash} />)
  })

  ui.post('/events/replay', async (c) => {
    const query = setValues(c.req.query())
    const parsed = ListQuerySchema.safeParse(query)
    if (!parsed.success) return c.text(`bad request: ${errorText(parsed.error.issues)}`, 400)
    const { limit: _l, cursor: _c, ...rest } = parsed.data
    const filters: EventFilters = { source: query.source, status: query.status, type: query.type, q: query.q, since: query.since, until: query.until }
    const replayed = await store.replayWhere(toFilter(rest, now()), now())
    if (replayed) deps.onStored?.()
    deps.log.info({ replayed }, 'replayed events by filter from the console')
    return c.redirect(`/ui/events${filterQuery(filters, { flash: 'replayed', n: String(replayed) })}`, 303)
  })

  ui.get('/events/:id', async (c) => {
    const id = c.req.param('id')
    const event = await store.get(id)
    if (!event) return render(c, <NotFound page={c.var.page} what={`No event with id ${id}.`} />, 404)
    const flashCode = c.req.query('flash')
    const flash =
      flashCode === 'replayed' ? { message: 'Replayed: the event is queued and will be processed again.' } : flashCode === 'not-replayable' ? { message: `Not replayed: the event is ${event.status}; it will run anyway.`, bad: true } : undefined
    return render(c, <EventPage page={c.var.page} event={event} attempts={await store.attempts(id)} flash={flash} />)
  })

  ui.get('/events/:id/body', async (c) => {
    const event = await store.get(c.req.param('id'))
    if (!event) return render(c, <NotFound page={c.var.page} what="No such event." />, 404)
    return new Response(new Uint8Array(event.body), { headers: { ...rawBodyHeaders(event), 'content-disposition': `attachment; filename="event-${event.id}-body"` } })
  })

  ui.post('/events/:id/replay', async (c) => {
    const id = c.req.param('id')
    if (!(await store.get(id))) return render(c, <NotFound page={c.var.page} what={`No event with id ${id}.`} />, 404)
    const replayed = await store.replay([id], now())
    if (replayed) deps.onStored?.()
    return c.redirect(`/ui/events/${encodeURIComponent(id)}?flash=${replayed ? 'replayed' : 'not-replayable'}`, 303)
  })

  ui.get('/rejections', async (c) => {
    const query = setValues(c.req.query())
    const parsed = RejectionsQuerySchema.safeParse({ limit: '200', ...query })
    const sources = sourceNames()
    if (!parsed.success) return render(c, <RejectionsPage page={c.var.page} items={[]} sources={sources} source={query.source} error={errorText(parsed.error.issues)} />, 400)
    const items = await store.rejections({ source: parsed.data.source, limit: parsed.data.limit, since: toFilter({ since: parsed.data.since }, now()).since })
    return render(c, <RejectionsPage page={c.var.page} items={items} sources={sources} source={parsed.data.source} />)
  })

  ui.onError((error, c) => {
    deps.log.error({ err: error, path: c.req.path }, 'console error')
    const page = c.get('page') ?? { nonce: c.get('nonce') ?? '', now: now() }
    const unavailable = isStorageFailure(error)
    const res = render(c, <ErrorPage page={page} what={unavailable ? 'The database is unavailable right now; reload in a moment.' : 'Something went wrong; the log has the details.'} />, unavailable ? 503 : 500)
    return res
  })
  return ui
}

const NotFound = ({ page, what }: { page: PageContext; what: string }) => (
  <Layout title="Not found" page={page}>
    <h1>Not found</h1>
    <p>{what}</p>
    <p>
      <a href="/ui/events">Back to events</a>
    </p>
  </Layout>
)

const ErrorPage = ({ page, what }: { page: PageContext; what: string }) => (
  <Layout title="Error" page={page}>
    <h1>Error</h1>
    <p>{what}</p>
  </Layout>
)
