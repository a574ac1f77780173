import type { FC } from 'hono/jsx'
import { EVENT_STATUSES, type EventStatus } from '../../store/schema.ts'
import type { Rates, Stats } from '../../store/store.ts'
import { formatDuration } from '../time.ts'
import { TrafficChart, type MinutePoint } from './chart.tsx'
import { Layout, type PageContext } from './layout.tsx'

export interface SourceRow {
  name: string
  provider: string
  counts: Record<EventStatus, number>
}

export interface OverviewProps {
  page: PageContext
  points: MinutePoint[]
  stats: Stats
  rates: Rates & { duplicates: { lastHour: number } }
  sources: SourceRow[]
}

const Tile: FC<{ n: string | number; label: string; href?: string }> = ({ n, label, href }) => (
  <div class="tile">
    <div class="n">{href ? <a href={href}>{String(n)}</a> : String(n)}</div>
    <div class="l">{label}</div>
  </div>
)

export const OverviewPage: FC<OverviewProps> = ({ page, points, stats, rates, sources }) => (
  <Layout title="Overview" page={page} active="/ui">
    <h1>Overview</h1>
    <div class="tiles">
      <Tile n={rates.ingest.lastMinute} label="stored, last minute" />
      <Tile n={rates.ingest.lastHour} label="stored, last hour" />
      <Tile n={rates.processing.lastHour} label="finished processing, last hour" />
      <Tile n={rates.failed.lastHour} label="failed, last hour" href="/ui/events?status=failed" />
      <Tile n={rates.rejected.lastHour} label="rejected, last hour" href="/ui/rejections" />
      <Tile n={rates.duplicates.lastHour} label="duplicates, last hour" />
      <Tile n={stats.queueDepth} label="due for processing" href="/ui/events?status=new" />
      <Tile n={stats.oldestDueMs ? formatDuration(stats.oldestDueMs) : '—'} label="oldest due event waiting" />
    </div>
    <div class="card">
      <h2>Traffic per minute, last hour</h2>
      <TrafficChart points={points} />
    </div>
    <h2>Events by source</h2>
    <div class="table-wrap">
      <table id="sources">
        <thead>
          <tr>
            <th>Source</th>
            <th>Provider</th>
            {EVENT_STATUSES.map((s) => (
              <th class="num">{s}</th>
            ))}
            <th class="num">total</th>
          </tr>
        </thead>
        <tbody>
          {sources.length === 0 ? (
            <tr>
              <td colspan={EVENT_STATUSES.length + 3} class="muted">
                No sources configured yet.
              </td>
            </tr>
          ) : (
            sources.map((row) => (
              <tr>
                <td>
                  <a href={`/ui/events?source=${encodeURIComponent(row.name)}`}>{row.name}</a>
                </td>
                <td class="muted">{row.provider}</td>
                {EVENT_STATUSES.map((s) => (
                  <td class="num">
                    {row.counts[s] ? <a href={`/ui/events?source=${encodeURIComponent(row.name)}&status=${s}`}>{String(row.counts[s])}</a> : <span class="muted">0</span>}
                  </td>
                ))}
                <td class="num">{String(EVENT_STATUSES.reduce((sum, s) => sum + row.counts[s], 0))}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  </Layout>
)
