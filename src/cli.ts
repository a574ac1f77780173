// The `inhook` command: a thin shell over the gateway, the store and the provider catalogue.
import { Command, CommanderError, Option } from 'commander'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { rejectionJson, statsReport } from './admin/report.ts'
import { catalogue, catalogueMarkdown, optionLabel } from './catalogue.ts'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { startGateway } from './gateway.ts'
import { createLogger } from './log.ts'
import { databasePath, migrateDatabase, openDatabase } from './store/database.ts'
import { EVENT_STATUSES, type EventStatus } from './store/schema.ts'
import { SqliteStore } from './store/sqlite-store.ts'
import type { WebhookEventSummary } from './store/store.ts'
import { createProcess } from './worker/handlers.ts'
import { drain, Worker } from './worker/worker.ts'

/** A failure to report in one line on stderr, with exit code 1 (no stack trace). */
export class CliError extends Error {
  override name = 'CliError'
}

const DEFAULT_DB = 'file:./data/inhook.db'
const env = process.env

interface ServeFlags {
  config?: string
  port?: string
  host?: string
  db?: string
}

async function configFor(flags: ServeFlags): Promise<Config> {
  const config = await loadConfig(flags.config ?? env.INHOOK_CONFIG)
  const port = flags.port ?? env.PORT
  if (port !== undefined) {
    const n = Number(port)
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`--port: expected a port number, got ${JSON.stringify(port)}`)
    config.server.port = n
  }
  if (flags.host) config.server.host = flags.host
  const db = flags.db ?? env.INHOOK_DB
  if (db) config.database.url = db
  return config
}

/** The database for read-only commands: --db, INHOOK_DB, the config's, or the default. */
async function databaseUrlFor(flags: ServeFlags): Promise<string> {
  if (flags.db ?? env.INHOOK_DB) return (flags.db ?? env.INHOOK_DB)!
  try {
    return (await loadConfig(flags.config ?? env.INHOOK_CONFIG, { env: { ...env } })).database.url
  } catch (error) {
    if (flags.config ?? env.INHOOK_CONFIG) throw error
    return DEFAULT_DB
  }
}

async function openStore(flags: ServeFlags): Promise<SqliteStore> {
  const url = await databaseUrlFor(flags)
  const path = databasePath(url)
  if (path !== ':memory:' && !existsSync(path)) throw new CliError(`no database at ${resolve(path)} (start the gateway with \`inhook serve\`, or run \`inhook migrate\`, or pass --db PATH)`)
  return new SqliteStore(openDatabase(url))
}

const withCommon = (cmd: Command) =>
  cmd.option('-c, --config <path>', 'config file (env INHOOK_CONFIG; default ./inhook.config.{ts,js,json})').option('--db <path>', 'SQLite database file (env INHOOK_DB)')

const ago = (date: Date | null, now = Date.now()) => {
  if (!date) return ''
  const s = Math.round((now - date.getTime()) / 1000)
  if (Math.abs(s) < 60) return `${s}s ago`
  if (Math.abs(s) < 3600) return `${Math.round(s / 60)}m ago`
  if (Math.abs(s) < 86400) return `${Math.round(s / 3600)}h ago`
  return `${Math.round(s / 86400)}d ago`
}

/** A plain-text table: columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

/** Parses `2h`, `30m`, `7d`, `45s` or an ISO date into a Date. */
export function parseSince(value: string, now = new Date()): Date {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim())
  if (m) return new Date(now.getTime() - Number(m[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as 's']!)
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) throw new CliError(`--since: expected a duration like 2h, 30m, 7d or an ISO date, got ${JSON.stringify(value)}`)
  return d
}

const statusOption = () => new Option('--status <status>', 'filter by status').choices(EVENT_STATUSES as unknown as string[])

function printSummaries(items: WebhookEventSummary[]) {
  console.log(
    table(
      ['ID', 'SOURCE', 'TYPE', 'STATUS', 'ATTEMPTS', 'RECEIVED', 'DELIVERY ID', 'BYTES'],
      items.map((e) => [e.id, e.source, e.type ?? '', e.status, String(e.attempts), ago(e.receivedAt), e.deliveryId ?? '', String(e.bodyBytes)]),
    ),
  )
}

export function buildProgram(): Command {
  const program = new Command('inhook')
    .description('Self-hosted webhook ingestion gateway: verify, store, acknowledge, process.')
    .showHelpAfterError()
    .exitOverride()

  withCommon(program.command('serve').description('start the gateway (ingest, worker, admin API, console)'))
    .option('-p, --port <n>', 'port (env PORT; default 8787)')
    .option('--host <addr>', 'address to listen on (default 0.0.0.0)')
    .option('--no-worker', 'do not process events in this process')
    .action(async (flags: ServeFlags & { worker: boolean }) => {
      const config = await configFor(flags)
      const log = createLogger(config.log.level)
      const gateway = await startGateway(config, { log, worker: flags.worker && config.worker.enabled })
      const base = config.server.publicUrl ?? gateway.url
      const lines = [
        `inhook listening on ${gateway.url} (config ${config.file ?? 'inline'})`,
        `database  ${resolve(databasePath(config.database.url))} (synchronous=${config.database.synchronous})`,
        `worker    ${gateway.worker ? `running (concurrency ${config.worker.concurrency})` : 'off (run `inhook worker`)'}`,
        `sources   ${config.sources.size === 0 ? '(none configured)' : ''}`,
        ...[...config.sources.values()].map((s) => `  ${s.name.padEnd(14)} ${s.provider.name.padEnd(18)} ${base}/webhooks/${s.name}`),
        `admin     ${base}/ui  token: ${gateway.adminTokenGenerated ? `${gateway.adminToken} (generated; set admin.token to keep it)` : '(configured)'}`,
      ]
      process.stdout.write(lines.join('\n') + '\n')
      const shutdown = async (signal: string) => {
        log.info({ signal }, 'shutting down')
        try {
          await gateway.stop()
        } catch (error) {
          log.error({ err: error }, 'shutdown did not complete cleanly')
          process.exit(1)
        }
        process.exit(0)
      }
      process.once('SIGTERM', () => void shutdown('SIGTERM'))
      process.once('SIGINT', () => void shutdown('SIGINT'))
      await new Promise(() => {}) // runs until a signal
    })

  withCommon(program.command('worker').description('process stored events (standalone worker; run as many as you like)'))
    .option('--once', 'process everything due now, then exit')
    .action(async (flags: ServeFlags & { once?: boolean }) => {
      const config = await configFor(flags)
      const log = createLogger(config.log.level)
      const store = new SqliteStore(openDatabase(config.database.url, { synchronous: config.database.synchronous, busyTimeoutMs: config.database.busyTimeoutMs }))
      const deps = { store, process: createProcess(config), log, maxAttempts: config.worker.maxAttempts, timeoutMs: config.worker.timeoutMs, backoff: config.worker.backoff }
      if (flags.once) {
        const totals = await drain(deps, config.worker)
        await store.close()
        console.log(`processed ${totals.processed}, rescheduled ${totals.retry}, failed ${totals.failed}`)
        return
      }
      const worker = new Worker(deps, config.worker).start()
      log.info({ database: config.database.url }, 'worker started')
      const shutdown = async () => {
        const { released } = await worker.stop(config.worker.graceMs)
        await store.close()
        log.info({ released }, 'worker stopped')
        process.exit(0)
      }
      process.once('SIGTERM', () => void shutdown())
      process.once('SIGINT', () => void shutdown())
      await new Promise(() => {})
    })

  withCommon(program.command('migrate').description('create the database or apply pending migrations')).action(async (flags: ServeFlags) => {
    const url = await databaseUrlFor(flags)
    const db = openDatabase(url, { migrate: false })
    migrateDatabase(db)
    db.$client.close()
    console.log(`database ${resolve(databasePath(url))} is up to date`)
  })

  const events = program.command('events').description('query and replay stored events')

  withCommon(events.command('list').description('list events, newest first'))
    .option('--source <name>', 'filter by source')
    .addOption(statusOption())
    .option('--type <type>', 'filter by event type')
    .option('--since <when>', 'received since: 2h, 30m, 7d or an ISO date')
    .option('-n, --limit <n>', 'how many (default 50, at most 500)', '50')
    .option('--cursor <id>', 'continue after this id (from the previous page)')
    .option('--json', 'JSON lines, for scripts')
    .action(async (flags: ServeFlags & { source?: string; status?: EventStatus; type?: string; since?: string; limit: string; cursor?: string; json?: boolean }) => {
      const limit = Number(flags.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliError(`--limit: expected a number from 1 to 500, got ${JSON.stringify(flags.limit)}`)
      const store = await openStore(flags)
      try {
        const page = await store.list({ source: flags.source, status: flags.status, type: flags.type, since: flags.since ? parseSince(flags.since) : undefined, limit, cursor: flags.cursor }).catch((error) => {
          throw new CliError((error as Error).message)
        })
        if (flags.json) for (const e of page.items) process.stdout.write(JSON.stringify(e) + '\n')
        else if (page.items.length === 0) console.log('no events match')
        else {
          printSummaries(page.items)
          if (page.nextCursor) console.log(`\nmore: inhook events list --cursor ${page.nextCursor}`)
        }
      } finally {
        await store.close()
      }
    })

  withCommon(events.command('show <id>').description('one event: metadata, headers, attempts, body'))
    .option('--raw', 'write the exact body bytes to stdout, nothing else')
    .option('--json', 'the event as JSON (body as text or base64)')
    .action(async (id: string, flags: ServeFlags & { raw?: boolean; json?: boolean }) => {
      const store = await openStore(flags)
      try {
        const event = await store.get(id)
        if (!event) throw new CliError(`no event with id ${JSON.stringify(id)}`)
        if (flags.raw) {
          process.stdout.write(event.body)
          return
        }
        const attempts = await store.attempts(id)
        const text = decodeUtf8(event.body)
        if (flags.json) {
          const { body, ...rest } = event
          console.log(JSON.stringify({ ...rest, body: text ?? body.toString('base64'), bodyEncoding: text === undefined ? 'base64' : 'utf8', attempts }, null, 2))
          return
        }
        const rows: [string, string][] = [
          ['id', event.id], ['source', `${event.source} (${event.provider})`], ['type', event.type ?? ''], ['delivery id', event.deliveryId ?? ''],
          ['status', event.status], ['attempts', String(event.attempts)], ['received', `${event.receivedAt.toISOString()} (${ago(event.receivedAt)})`],
          ['occurred', event.occurredAt?.toISOString() ?? ''], ['next attempt', event.status === 'new' ? event.nextAttemptAt.toISOString() : ''],
          ['processed', event.processedAt?.toISOString() ?? ''], ['last error', event.lastError ?? ''],
          ['request', `${event.method} ${event.path}${event.query ? `?${event.query}` : ''} from ${event.clientIp ?? 'unknown'}`],
        ]
        console.log(rows.filter(([, v]) => v !== '').map(([k, v]) => `${k.padEnd(13)} ${v}`).join('\n'))
        console.log('\nheaders')
        for (const [name, value] of event.headers) console.log(`  ${name}: ${value}`)
        console.log('\nattempts')
        if (attempts.length === 0) console.log('  (none yet)')
        for (const a of attempts)
          console.log(`  #${a.attempt} ${a.outcome.padEnd(9)} ${a.finishedAt.toISOString()} ${a.finishedAt.getTime() - a.startedAt.getTime()}ms${a.responseStatus ? ` HTTP ${a.responseStatus}` : ''}${a.error ? `  ${a.error}` : ''}${a.note ? `  (${a.note})` : ''}`)
        console.log(`\nbody (${event.body.length} bytes)`)
        console.log(text === undefined ? `  binary; use --raw` : prettyBody(text))
      } finally {
        await store.close()
      }
    })

  withCommon(events.command('replay <ids...>').description('process processed/failed events again')).action(async (ids: string[], flags: ServeFlags) => {
    const store = await openStore(flags)
    try {
      const missing: string[] = []
      for (const id of ids) if (!(await store.get(id))) missing.push(id)
      if (missing.length) throw new CliError(`no event with id ${missing.map((m) => JSON.stringify(m)).join(', ')}`)
      const changed = await store.replay(ids, new Date())
      console.log(`replayed ${changed} of ${ids.length} event(s)${changed < ids.length ? ' (events still new or processing are left as they are)' : ''}`)
    } finally {
      await store.close()
    }
  })

  withCommon(program.command('stats').description('counts by source and status, the queue, rates over the last minute and hour'))
    .option('--json', 'as JSON (the shape of GET /api/stats)')
    .action(async (flags: ServeFlags & { json?: boolean }) => {
      const store = await openStore(flags)
      try {
        const report = await statsReport(store, new Date())
        if (flags.json) {
          console.log(JSON.stringify(report, null, 2))
          return
        }
        const sources = [...new Set(report.bySourceStatus.map((r) => r.source))].sort()
        const count = (source: string, status: EventStatus) => report.bySourceStatus.find((r) => r.source === source && r.status === status)?.count ?? 0
        if (sources.length === 0) console.log('no events stored')
        else console.log(table(['SOURCE', ...EVENT_STATUSES.map((s) => s.toUpperCase()), 'TOTAL'], sources.map((source) => [source, ...EVENT_STATUSES.map((s) => String(count(source, s))), String(EVENT_STATUSES.reduce((n, s) => n + count(source, s), 0))])))
        const { rates } = report
        const window = (w: { lastMinute: number; lastHour: number }) => [String(w.lastMinute), String(w.lastHour)]
        console.log(`\nqueue: ${report.queueDepth} due now${report.queueDepth ? `, oldest waiting ${Math.round(report.oldestDueSeconds)} s` : ''}\n`)
        console.log(
          table(['', 'LAST MINUTE', 'LAST HOUR', 'PER SECOND (HOUR)'], [
            ['stored', ...window(rates.ingest), rates.ingestPerSecond.lastHour.toFixed(2)],
            ['finished processing', ...window(rates.processing), rates.processingPerSecond.lastHour.toFixed(2)],
            ['failed', ...window(rates.failed), ''],
            ['rejected', ...window(rates.rejected), ''],
          ]),
        )
      } finally {
        await store.close()
      }
    })

  withCommon(program.command('rejections').description('refused requests, newest first: reason and hint (the first place to look when a provider says "delivery failed")'))
    .option('--source <name>', 'filter by source')
    .option('--since <when>', 'since: 2h, 30m, 7d or an ISO date')
    .option('-n, --limit <n>', 'how many (default 50, at most 500)', '50')
    .option('--json', 'JSON lines, for scripts')
    .action(async (flags: ServeFlags & { source?: string; since?: string; limit: string; json?: boolean }) => {
      const limit = Number(flags.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliError(`--limit: expected a number from 1 to 500, got ${JSON.stringify(flags.limit)}`)
      const since = flags.since ? parseSince(flags.since) : undefined
      const store = await openStore(flags)
      try {
        const items = await store.rejections({ source: flags.source, since, limit })
        if (flags.json) for (const r of items) process.stdout.write(JSON.stringify(rejectionJson(r)) + '\n')
        else if (items.length === 0) console.log('no rejected requests')
        else console.log(table(['WHEN', 'SOURCE', 'STATUS', 'REASON', 'CLIENT IP', 'HINT'], items.map((r) => [ago(r.at), r.source, String(r.status), r.reason, r.clientIp ?? '', r.hint ?? ''])))
      } finally {
        await store.close()
      }
    })

  program
    .command('providers')
    .description('list the providers inhook verifies, with the options each needs')
    .option('--json', 'as JSON')
    .option('--markdown [file]', 'write the catalogue as markdown (default docs/providers.md)')
    .action((flags: { json?: boolean; markdown?: string | boolean }) => {
      const entries = catalogue()
      if (flags.markdown) {
        const file = resolve(typeof flags.markdown === 'string' ? flags.markdown : 'docs/providers.md')
        mkdirSync(dirname(file), { recursive: true })
        writeFileSync(file, catalogueMarkdown(entries))
        console.log(`wrote ${entries.length} providers to ${file}`)
      } else if (flags.json) console.log(JSON.stringify(entries, null, 2))
      else {
        console.log(table(['NAME', 'PROVIDER', 'OPTIONS', 'HANDSHAKE'], entries.map((e) => [e.name, e.title, e.options.map(optionLabel).join(' '), e.handshake ?? ''])))
        console.log(`\n${entries.length} providers. Docs links: inhook providers --json`)
      }
    })

  withCommon(program.command('send <source>').description("send a realistic sample delivery, signed with the source's secret, to the gateway"))
    .option('--type <type>', 'event type of the sample')
    .option('--file <path>', 'use this file as the body instead of the sample')
    .option('--to <url>', 'where to send it (default: this gateway, /webhooks/<source>)')
    .action(async (sourceName: string, flags: ServeFlags & { type?: string; file?: string; to?: string }) => {
      const config = await configFor(flags)
      const source = config.sources.get(sourceName)
      if (!source) throw new CliError(`no source named ${JSON.stringify(sourceName)} in ${config.file} (configured: ${[...config.sources.keys()].join(', ') || 'none'})`)
      const { provider } = source
      if (!provider.sample || !provider.sign) throw new CliError(`provider ${provider.name} cannot build signed samples`)
      const to = flags.to ?? source.url ?? `http://127.0.0.1:${config.server.port}/webhooks/${sourceName}`
      let draft = provider.sample(flags.type)
      if (flags.file) {
        const { readFileSync } = await import('node:fs')
        draft = { ...draft, body: readFileSync(flags.file, 'utf8') }
      }
      draft = { ...draft, url: source.url ?? to }
      const signed = await provider.sign(draft, source.options, new Date())
      const response = await fetch(to, { method: signed.method, headers: signed.headers, body: signed.method === 'GET' || signed.method === 'HEAD' ? undefined : signed.body }).catch((error: Error) => {
        throw new CliError(`could not reach ${to}: ${(error.cause as Error)?.message ?? error.message} (is the gateway running?)`)
      })
      console.log(`${signed.method} ${to} → ${response.status} ${response.statusText}`)
      const text = await response.text()
      if (text) console.log(text)
      if (!response.ok) process.exitCode = 1
    })

  return program
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
function decodeUtf8(body: Uint8Array): string | undefined {
  try {
    return utf8.decode(body)
  } catch {
    return undefined
  }
}

function prettyBody(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

/** Runs the CLI; returns the exit code. */
export async function main(argv = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv)
    return (process.exitCode as number | undefined) ?? 0
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode
    if (error instanceof CliError || error instanceof ConfigError) {
      process.stderr.write(`inhook: ${error.message}\n`)
      return 1
    }
    process.stderr.write(`inhook: ${(error as Error)?.stack ?? String(error)}\n`)
    return 1
  }
}
