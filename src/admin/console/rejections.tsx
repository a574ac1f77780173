import type { FC } from 'hono/jsx'
import type { Rejection } from '../../store/store.ts'
import { Ago, Empty, FilterSelect, Layout, type PageContext } from './layout.tsx'
import { reasonAdvice } from './reasons.ts'

export const RejectionsPage: FC<{ page: PageContext; items: Rejection[]; sources: string[]; source?: string; error?: string }> = ({ page, items, sources, source, error }) => (
  <Layout title="Rejections" page={page} active="/ui/rejections">
    <h1>Rejections</h1>
    <p class="muted">
      Requests the gateway refused, newest first. When a provider reports “delivery failed”, look here: the reason and hint say what to check. Bodies are never kept.
    </p>
    <form class="filters" method="get" action="/ui/rejections">
      <FilterSelect label="Source" name="source" options={sources} selected={source} />
      <button type="submit">Filter</button>
    </form>
    {error ? <div class="flash bad">{error}</div> : null}
    <div class="table-wrap">
      <table id="rejections">
        <thead>
          <tr>
            <th>When</th>
            <th>Source</th>
            <th class="num">Status</th>
            <th>Reason</th>
            <th>Hint</th>
            <th>Client IP</th>
          </tr>
        </thead>
        <tbody>
          {items.length === 0 ? (
            <Empty colspan={6}>No rejected requests{source ? ` for ${source}` : ''}.</Empty>
          ) : (
            items.map((r) => (
              <tr>
                <td>
                  <Ago date={r.at} now={page.now} />
                </td>
                <td>{r.source}</td>
                <td class="num">{String(r.status)}</td>
                <td>
                  <span class="badge s-failed" title={reasonAdvice(r.reason)}>
                    {r.reason}
                  </span>
                </td>
                <td>
                  {r.hint ?? ''}
                  {reasonAdvice(r.reason) ? <div class="muted">{reasonAdvice(r.reason)}</div> : null}
                </td>
                <td class="mono">{r.clientIp ?? ''}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  </Layout>
)
