import type { FC } from 'hono/jsx'
import { EVENT_STATUSES } from '../../store/schema.ts'
import type { WebhookEventSummary } from '../../store/store.ts'
import { Ago, Csrf, Empty, FilterSelect, Flash, formatBytes, Layout, StatusBadge, type PageContext } from './layout.tsx'

/** The filters as typed in the form (strings; empty when unset). */
export interface EventFilters {
  source?: string
  status?: string
  type?: string
  q?: string
  since?: string
  until?: string
  /** Page size, kept across pages when given. */
  limit?: string
}

export const SINCE_CHOICES: [string, string][] = [['', 'any time'], ['15m', 'last 15 minutes'], ['1h', 'last hour'], ['24h', 'last 24 hours'], ['7d', 'last 7 days']]

/** A query string of the filters that are set, plus `extra`. */
export function filterQuery(filters: EventFilters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) params.set(k, v)
  const s = params.toString()
  return s ? `?${s}` : ''
}

export interface EventsProps {
  page: PageContext
  items: WebhookEventSummary[]
  filters: EventFilters
  sources: string[]
  nextCursor?: string
  cursor?: string
  error?: string
  flash?: string
  /** How many events the bulk replay would take (shown for processed/failed filters). */
  replayable?: number
}

export const EventsPage: FC<EventsProps> = ({ page, items, filters, sources, nextCursor, cursor, error, flash, replayable }) => (
  <Layout title="Events" page={page} active="/ui/events">
    <h1>Events</h1>
    <Flash message={flash} />
    <form class="filters" method="get" action="/ui/events">
      <FilterSelect label="Source" name="source" options={sources} selected={filters.source} />
      <FilterSelect label="Status" name="status" options={EVENT_STATUSES} selected={filters.status} />
      <label>
        Type
        <input name="type" value={filters.type ?? ''} placeholder="push" size={14} />
      </label>
      <label>
        Search
        <input name="q" value={filters.q ?? ''} placeholder="delivery id or type" size={20} />
      </label>
      <label>
        Received
        <select name="since">
          {SINCE_CHOICES.map(([value, text]) => (
            <option value={value} selected={value === (filters.since ?? '')}>
              {text}
            </option>
          ))}
          {filters.since && !SINCE_CHOICES.some(([v]) => v === filters.since) ? (
            <option value={filters.since} selected>
              since {filters.since}
            </option>
          ) : null}
        </select>
      </label>
      {filters.limit ? <input type="hidden" name="limit" value={filters.limit} /> : null}
      {filters.until ? <input type="hidden" name="until" value={filters.until} /> : null}
      <button type="submit" class="primary">
        Filter
      </button>
      <a class="button" href="/ui/events">
        Clear
      </a>
    </form>
    {error ? <div class="flash bad">{error}</div> : null}
    {replayable ? (
      <form method="post" action={`/ui/events/replay${filterQuery(filters)}`} data-confirm={`Replay ${replayable} event(s)?`} class="card">
        <Csrf page={page} />
        <button type="submit">Replay all {String(replayable)} matching</button> <span class="muted">they are set back to new and processed again</span>
      </form>
    ) : null}
    <div class="table-wrap">
      <table id="events">
        <thead>
          <tr>
            <th>ID</th>
            <th>Received</th>
            <th>Source</th>
            <th>Type</th>
            <th>Status</th>
            <th class="num">Attempts</th>
            <th>Delivery ID</th>
            <th class="num">Size</th>
          </tr>
        </thead>
        <tbody>
          {items.length === 0 ? (
            <Empty colspan={8}>No events match.</Empty>
          ) : (
            items.map((e) => (
              <tr data-id={e.id} data-status={e.status}>
                <td class="mono">
                  <a href={`/ui/events/${e.id}`}>{e.id}</a>
                </td>
                <td>
                  <Ago date={e.receivedAt} now={page.now} />
                </td>
                <td>{e.source}</td>
                <td>{e.type ?? <span class="muted">—</span>}</td>
                <td>
                  <StatusBadge status={e.status} />
                  {e.lastError && e.status !== 'processed' ? <div class="err" title={e.lastError}>{e.lastError.length > 80 ? `${e.lastError.slice(0, 80)}…` : e.lastError}</div> : null}
                </td>
                <td class="num">{String(e.attempts)}</td>
                <td class="mono">{e.deliveryId ?? ''}</td>
                <td class="num">{formatBytes(e.bodyBytes)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
    <div class="pager">
      {cursor ? <a href={`/ui/events${filterQuery(filters)}`}>« Newest</a> : null}
      {nextCursor ? (
        <a href={`/ui/events${filterQuery(filters, { cursor: nextCursor })}`} rel="next">
          Older »
        </a>
      ) : null}
    </div>
  </Layout>
)
