import type { FC } from 'hono/jsx'
import type { Attempt, WebhookEvent } from '../../store/store.ts'
import { responseMs } from '../api.ts'
import { bodyText, contentType, prettyBody } from '../body.ts'
import { formatDuration } from '../time.ts'
import { Ago, Csrf, Flash, formatBytes, Layout, StatusBadge, type PageContext } from './layout.tsx'

export interface EventProps {
  page: PageContext
  event: WebhookEvent
  attempts: Attempt[]
  flash?: { message: string; bad?: boolean }
}

/** While an event is waiting or running, the page reloads itself to show the outcome. */
const REFRESH_MS = 1000
const SOON_MS = 10_000

const Body: FC<{ event: WebhookEvent }> = ({ event }) => {
  const pretty = prettyBody(event.body, contentType(event))
  const raw = bodyText(event.body)
  return (
    <>
      {pretty.kind === 'empty' ? <p class="muted">Empty body.</p> : null}
      {pretty.kind === 'binary' ? (
        <p class="muted">
          Binary body ({formatBytes(event.body.length)}): <a href={`/ui/events/${event.id}/body`}>download the exact bytes</a>.
        </p>
      ) : null}
      {pretty.kind === 'json' || pretty.kind === 'text' ? <pre id="body-pretty">{pretty.text}</pre> : null}
      {pretty.kind === 'form' ? (
        <div class="table-wrap">
          <table id="body-form">
            <thead>
              <tr>
                <th>Field</th>
                <th>Value</th>
              </tr>
            </thead>
            <tbody>
              {pretty.fields.map(([name, value]) => (
                <tr>
                  <td class="mono">{name}</td>
                  <td>{value.includes('\n') ? <pre>{value}</pre> : <span class="mono">{value}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {raw !== undefined && raw !== '' && pretty.kind !== 'text' ? (
        <details>
          <summary>Raw body</summary>
          <pre id="body-raw">{raw}</pre>
        </details>
      ) : null}
      {event.body.length > 0 ? (
        <p>
          <a href={`/ui/events/${event.id}/body`}>Download the exact bytes</a> <span class="muted">({formatBytes(event.body.length)})</span>
        </p>
      ) : null}
    </>
  )
}

const Timeline: FC<{ attempts: Attempt[]; page: PageContext }> = ({ attempts, page }) =>
  attempts.length === 0 ? (
    <p class="muted">Not processed yet.</p>
  ) : (
    <ol class="timeline" id="attempts">
      {attempts.map((a) => (
        <li class={`o-${a.outcome}`}>
          <div>
            <StatusBadge status={a.outcome} /> {a.outcome === 'replayed' ? 'replayed by an operator' : `attempt ${a.attempt}`} · <Ago date={a.startedAt} now={page.now} />
            {a.outcome === 'replayed' ? null : <span class="muted"> · {formatDuration(a.finishedAt.getTime() - a.startedAt.getTime())}</span>}
            {a.responseStatus !== null ? <span> · HTTP {String(a.responseStatus)}{responseMs(a) !== null ? ` in ${formatDuration(responseMs(a)!)}` : ''}</span> : null}
          </div>
          {a.error ? <div class="err mono">{a.error}</div> : null}
          {a.note ? <div class="muted">{a.note}</div> : null}
          {a.responseBody ? (
            <details>
              <summary>Response body</summary>
              <pre>{a.responseBody}</pre>
            </details>
          ) : null}
        </li>
      ))}
    </ol>
  )

export const EventPage: FC<EventProps> = ({ page, event, attempts, flash }) => {
  const replayable = event.status === 'processed' || event.status === 'failed'
  const waiting = event.status === 'new' || event.status === 'processing'
  // Reload while the outcome is about to change; an event waiting on a long backoff shows when it runs next instead.
  const soon = event.status === 'processing' || (event.status === 'new' && event.nextAttemptAt.getTime() - page.now.getTime() < SOON_MS)
  const meta: [string, unknown][] = [
    ['Source', `${event.source} (${event.provider})`],
    ['Type', event.type],
    ['Delivery ID', event.deliveryId],
    ['Received', <><Ago date={event.receivedAt} now={page.now} /> <span class="muted">{event.receivedAt.toISOString()}</span></>],
    ['Occurred', event.occurredAt ? <Ago date={event.occurredAt} now={page.now} /> : null],
    ['Attempts', String(event.attempts)],
    ['Next attempt', event.status === 'new' ? <Ago date={event.nextAttemptAt} now={page.now} /> : null],
    ['Finished', event.processedAt && !waiting ? <Ago date={event.processedAt} now={page.now} /> : null],
    ['Request', `${event.method} ${event.path}${event.query ? `?${event.query}` : ''}`],
    ['Client IP', event.clientIp],
    ['Content type', contentType(event)],
    ['Size', formatBytes(event.body.length)],
  ]
  return (
    <Layout title={`Event ${event.id}`} page={page} active="/ui/events" refreshMs={soon ? REFRESH_MS : undefined}>
      <h1>
        Event <span class="mono">{event.id}</span> <span id="status"><StatusBadge status={event.status} /></span>
        <form method="post" action={`/ui/events/${event.id}/replay`}>
          <Csrf page={page} />
          <button type="submit" class="primary" id="replay" disabled={!replayable} title={replayable ? 'Process this event again' : `The event is ${event.status}; it will run anyway`}>
            Replay
          </button>
        </form>
      </h1>
      {flash ? <Flash message={flash.message} bad={flash.bad} /> : null}
      {event.lastError && event.status !== 'processed' ? <div class="flash bad mono">{event.lastError}</div> : null}
      <div class="split">
        <div class="card">
          <dl class="meta">
            {meta
              .filter(([, v]) => v !== null && v !== undefined && v !== '')
              .map(([k, v]) => (
                <>
                  <dt>{k}</dt>
                  <dd>{v as string}</dd>
                </>
              ))}
          </dl>
        </div>
        <div class="card">
          <h2>Attempts</h2>
          <Timeline attempts={attempts} page={page} />
        </div>
      </div>
      <h2>Body</h2>
      <Body event={event} />
      <h2>Headers</h2>
      <div class="table-wrap">
        <table id="headers">
          <tbody>
            {event.headers.map(([name, value]) => (
              <tr>
                <td class="mono">{name}</td>
                <td class={value === '[redacted]' ? 'mono muted' : 'mono'}>{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Layout>
  )
}
