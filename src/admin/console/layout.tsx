// The console's page frame and small shared pieces. Everything is server-rendered; hono/jsx escapes
// every text child and attribute value, and the CSP (nonce only) stops any script that slipped through.
import type { Child, FC, PropsWithChildren } from 'hono/jsx'
import { raw } from 'hono/html'
import type { EventStatus } from '../../store/schema.ts'
import { ago } from '../time.ts'

/** What every page needs from the request. */
export interface PageContext {
  nonce: string
  /** The session's CSRF token, for forms that change something (undefined when logged out). */
  csrf?: string
  now: Date
}

const CSS = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d8dee4;--bg:#f6f8fa;--card:#fff;--accent:#2563eb;--ok:#16a34a;--bad:#dc2626;--warn:#d97706;--new:#2563eb;--dup:#a855f7}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header.top{display:flex;align-items:center;gap:24px;padding:10px 24px;background:#111827;color:#e5e7eb}
header.top .brand{font-weight:700;color:#fff;letter-spacing:.3px}
header.top nav{display:flex;gap:4px;flex:1}
header.top nav a{color:#cbd5e1;padding:6px 10px;border-radius:6px}
header.top nav a.active,header.top nav a:hover{background:#1f2937;color:#fff;text-decoration:none}
header.top form{margin:0}
header.top button{background:none;border:1px solid #374151;color:#cbd5e1;border-radius:6px;padding:4px 10px;cursor:pointer}
main{max-width:1200px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:20px;margin:4px 0 16px;display:flex;align-items:center;gap:10px;flex-wrap:wrap}
h2{font-size:15px;margin:24px 0 8px}
.card h2:first-child{margin-top:0}
h1 .mono{font-size:inherit}
h1 form{margin:0 0 0 auto}
h1 button{font-size:14px;font-weight:600}
time{white-space:nowrap}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin-bottom:16px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(128px,1fr));gap:12px;margin-bottom:16px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.tile .n{font-size:22px;font-weight:600}.tile .l{color:var(--muted);font-size:12px}
table{width:100%;border-collapse:collapse;background:var(--card)}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;background:var(--bg)}
tr:hover td{background:#fafbfc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.table-wrap{border:1px solid var(--line);border-radius:8px;overflow:auto}
.table-wrap table tr:last-child td{border-bottom:0}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:#0d1117;color:#e6edf3;padding:12px 14px;border-radius:8px;overflow:auto;max-height:600px;margin:8px 0;white-space:pre-wrap;word-break:break-word}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;border:1px solid transparent;white-space:nowrap}
.s-new{color:var(--new);background:#eff6ff;border-color:#bfdbfe}
.s-processing{color:var(--warn);background:#fffbeb;border-color:#fde68a}
.s-processed{color:var(--ok);background:#f0fdf4;border-color:#bbf7d0}
.s-failed,.s-retry{color:var(--bad);background:#fef2f2;border-color:#fecaca}
.s-replayed{color:var(--dup);background:#faf5ff;border-color:#e9d5ff}
.s-retry{color:var(--warn);background:#fffbeb;border-color:#fde68a}
.muted{color:var(--muted)}
.err{color:var(--bad)}
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin-bottom:14px}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:2px}
input,select{font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:6px;background:#fff;color:var(--fg)}
button,.button{font:inherit;padding:5px 12px;border-radius:6px;border:1px solid var(--line);background:#fff;cursor:pointer;color:var(--fg)}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button:disabled{opacity:.5;cursor:not-allowed}
.pager{display:flex;gap:12px;margin-top:12px;align-items:center}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;word-break:break-all}
.flash{padding:8px 12px;border-radius:6px;margin-bottom:14px;background:#eff6ff;border:1px solid #bfdbfe}
.flash.bad{background:#fef2f2;border-color:#fecaca}
ol.timeline{list-style:none;padding:0;margin:0}
ol.timeline li{border-left:3px solid var(--line);padding:4px 0 10px 14px;margin-left:6px}
ol.timeline li.o-processed{border-color:var(--ok)}ol.timeline li.o-failed{border-color:var(--bad)}ol.timeline li.o-retry{border-color:var(--warn)}ol.timeline li.o-replayed{border-color:var(--dup)}
details summary{cursor:pointer;color:var(--accent)}
.chart svg{width:100%;height:auto;display:block}
.chart .grid{stroke:#eef1f4}.chart .axis{fill:var(--muted);font-size:10px}
.chart .hit{fill:transparent}.chart .hit:hover{fill:rgba(37,99,235,.07)}
.legend{display:flex;gap:16px;flex-wrap:wrap;font-size:12px;margin-top:6px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.c-accepted{background:#2563eb}.c-duplicate{background:#a855f7}.c-rejected{background:#f59e0b}.c-processed{background:#16a34a}.c-failed{background:#dc2626}
.login{max-width:380px;margin:12vh auto}
.login input{width:100%;margin:8px 0 12px}
.split{display:grid;grid-template-columns:1fr 1fr;gap:16px}
@media (max-width:900px){.split{grid-template-columns:1fr}}
`

// Convenience only; every page reads fine without it.
const SCRIPT = `
for (const form of document.querySelectorAll('form[data-confirm]')) form.addEventListener('submit', (e) => { if (!confirm(form.dataset.confirm)) e.preventDefault() })
const url = new URL(location.href)
if (url.searchParams.has('flash')) { url.searchParams.delete('flash'); url.searchParams.delete('n'); history.replaceState(null, '', url) }
const refresh = Number(document.body.dataset.refreshMs || 0)
if (refresh > 0) setTimeout(() => location.reload(), refresh)
`

const NAV: [string, string][] = [['/ui', 'Overview'], ['/ui/events', 'Events'], ['/ui/rejections', 'Rejections']]

export const Layout: FC<PropsWithChildren<{ title: string; page: PageContext; active?: string; refreshMs?: number }>> = ({ title, page, active, refreshMs, children }) => (
  <>
    {raw('<!DOCTYPE html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} · inhook`}</title>
        <link rel="icon" href="data:," />
        <style nonce={page.nonce}>{raw(CSS)}</style>
        {refreshMs ? (
          <noscript>
            <meta http-equiv="refresh" content={String(Math.ceil(refreshMs / 1000) + 1)} />
          </noscript>
        ) : null}
      </head>
      <body data-refresh-ms={refreshMs ? String(refreshMs) : undefined}>
        <header class="top">
          <a class="brand" href="/ui">inhook</a>
          {page.csrf ? (
            <>
              <nav>
                {NAV.map(([href, label]) => (
                  <a href={href} class={active === href ? 'active' : undefined}>
                    {label}
                  </a>
                ))}
              </nav>
              <form method="post" action="/ui/logout">
                <input type="hidden" name="_csrf" value={page.csrf} />
                <button type="submit">Log out</button>
              </form>
            </>
          ) : null}
        </header>
        <main>{children}</main>
        <script nonce={page.nonce}>{raw(SCRIPT)}</script>
      </body>
    </html>
  </>
)

export const StatusBadge: FC<{ status: EventStatus | 'retry' | 'replayed' }> = ({ status }) => <span class={`badge s-${status}`}>{status}</span>

/** A relative time ("3m ago") with the exact time on hover and in the markup. */
export const Ago: FC<{ date: Date | null; now: Date }> = ({ date, now }) =>
  date ? (
    <time datetime={date.toISOString()} title={date.toISOString()}>
      {ago(date, now)}
    </time>
  ) : (
    <span class="muted">—</span>
  )

export const Csrf: FC<{ page: PageContext }> = ({ page }) => <input type="hidden" name="_csrf" value={page.csrf ?? ''} />

/** A filter's <select> with an "all" choice first. */
export const FilterSelect: FC<{ label: string; name: string; options: readonly string[]; selected?: string }> = ({ label, name, options, selected }) => (
  <label>
    {label}
    <select name={name}>
      <option value="">all</option>
      {options.map((o) => (
        <option value={o} selected={o === selected}>
          {o}
        </option>
      ))}
    </select>
  </label>
)

export const Flash: FC<{ message?: string; bad?: boolean }> = ({ message, bad }) => (message ? <div class={bad ? 'flash bad' : 'flash'} role="status">{message}</div> : null)

export const Empty: FC<{ colspan: number; children: Child }> = ({ colspan, children }) => (
  <tr>
    <td colspan={colspan} class="muted">
      {children}
    </td>
  </tr>
)

export const formatBytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`)
