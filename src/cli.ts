// The `inhook` command: a thin shell over the gateway, the store and the provider catalogue.
import { Command, CommanderError, Option } from 'commander'
import bytes from 'bytes'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { createInterface } from 'node:readline/promises'
import { builtinProviders } from '../providers/index.ts'
import { rejectionJson, statsReport } from './admin/report.ts'
import { ago as formatAgo, parseWhen } from './admin/time.ts'
import { catalogue, catalogueMarkdown, optionLabel } from './catalogue.ts'
import { joinCluster, MAX_WORKERS, runClusterPrimary, shouldFork } from './cluster.ts'
import { ConfigError, loadConfig, resolveConfig, type Config, type RetentionConfig } from './config.ts'
import { startGateway } from './gateway.ts'
import { createLogger } from './log.ts'
import { databasePath, migrateDatabase, openDatabase } from './store/database.ts'
import { EVENT_STATUSES, type EventStatus } from './store/schema.ts'
import { SqliteStore } from './store/sqlite-store.ts'
import type { EventFilter, PruneResult, ReplayCount, WebhookEventSummary } from './store/store.ts'
import { createWorkerDeps } from './worker/deps.ts'
import { pruneAll } from './worker/retention.ts'
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

/** Runs `fn` with the store of the command's database, closing it afterwards whatever happens. */
async function withStore<T>(flags: ServeFlags, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = await openStore(flags)
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}

const withCommon = (cmd: Command) =>
  cmd.option('-c, --config <path>', 'config file (env INHOOK_CONFIG; default ./inhook.config.{ts,js,json})').option('--db <path>', 'SQLite database file (env INHOOK_DB)')

/** `3m ago` (the console's wording) for a date in a table. */
const ago = (date: Date) => formatAgo(date, new Date())

/** A plain-text table: columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

/** Parses `2h`, `30m`, `7d`, `45s` or an ISO date into a Date (as the API's `since` does). */
export function parseSince(value: string, now = new Date()): Date {
  const date = parseWhen(value, now)
  if (!date) throw new CliError(`--since: expected a duration like 2h, 30m, 7d or an ISO date, got ${JSON.stringify(value)}`)
  return date
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
    .option('--workers <n>', `ingest processes sharing the port and the database, 1 to ${MAX_WORKERS} (default 1); one of them runs the worker loop`)
    .action(async (flags: ServeFlags & { worker: boolean; workers?: string }) => {
      const config = await configFor(flags)
      const log = createLogger(config.log.level)
      const workers = Number(flags.workers ?? 1)
      if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) throw new CliError(`--workers: expected a number from 1 to ${MAX_WORKERS}, got ${JSON.stringify(flags.workers)}`)
      if (shouldFork(workers)) return runClusterPrimary(config, { workers, log })
      const member = joinCluster(config)
      const gateway = await startGateway(config, { log, worker: flags.worker && config.worker.enabled && member.leader })
      const base = config.server.publicUrl ?? gateway.url
      const lines = [
        `inhook listening on ${gateway.url} (config ${config.file ?? 'inline'})${member.size > 1 ? `, ${member.size} processes` : ''}`,
        `database  ${resolve(databasePath(config.database.url))} (synchronous=${config.database.synchronous})`,
        `worker    ${gateway.worker ? `running (concurrency ${config.worker.concurrency})` : 'off (run `inhook worker`)'}`,
        `sources   ${config.sources.size === 0 ? '(none configured)' : `${config.sources.size} configured`}`,
        ...[...config.sources.values()].map((s) => `  ${s.name.padEnd(14)} ${s.provider.name.padEnd(18)} ${base}/webhooks/${s.name}`),
        `admin     ${base}/ui  token: ${gateway.adminTokenGenerated || member.adminTokenGenerated ? `${gateway.adminToken} (generated; set admin.token to keep it)` : '(configured in admin.token; not printed)'}`,
      ]
      if (member.leader) process.stdout.write(lines.join('\n') + '\n') // one banner per cluster
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
      if (member.size > 1) process.once('disconnect', () => void shutdown('primary gone'))
      await new Promise(() => {}) // runs until a signal
    })

  withCommon(program.command('worker').description('process stored events (standalone worker; run as many as you like)'))
    .option('--once', 'process everything due now, prune past retention, then exit (exit code 0: all processed or rescheduled; 2: some failed for good; 1: a crash)')
    .action(async (flags: ServeFlags & { once?: boolean }) => {
      const config = await configFor(flags)
      const log = createLogger(config.log.level)
      const store = new SqliteStore(openDatabase(config.database.url, { synchronous: config.database.synchronous, busyTimeoutMs: config.database.busyTimeoutMs }))
      const deps = createWorkerDeps(config, { store, log })
      if (flags.once) {
        try {
          const totals = await drain(deps, config.worker)
          const freed = await pruneAll(store, config.retention, new Date())
          const pruned = freed.processed + freed.failed + freed.bodies ? `; ${describePrune(freed, false)}` : ''
          console.log(`processed ${totals.processed}, rescheduled ${totals.retry}, failed ${totals.failed}${pruned}`)
          if (totals.unrecorded) throw new CliError(`could not record the outcome of ${totals.unrecorded} event(s) (see the log); they run again when their lease expires`)
          if (totals.failed) process.exitCode = 2
        } finally {
          await store.close()
        }
        return
      }
      const worker = new Worker(deps, { ...config.worker, retention: config.retention }).start()
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
      await withStore(flags, async (store) => {
        const page = await store.list({ source: flags.source, status: flags.status, type: flags.type, since: flags.since ? parseSince(flags.since) : undefined, limit, cursor: flags.cursor }).catch((error) => {
          throw new CliError((error as Error).message)
        })
        if (flags.json) for (const e of page.items) process.stdout.write(JSON.stringify(e) + '\n')
        else if (page.items.length === 0) console.log('no events match')
        else {
          printSummaries(page.items)
          if (page.nextCursor) console.log(`\nmore: inhook events list --cursor ${page.nextCursor}`)
        }
      })
    })

  withCommon(events.command('show <id>').description('one event: metadata, headers, attempts, body'))
    .option('--raw', 'write the exact body bytes to stdout, nothing else')
    .option('--json', 'the event as JSON (body as text or base64)')
    .action(async (id: string, flags: ServeFlags & { raw?: boolean; json?: boolean }) => {
      await withStore(flags, async (store) => {
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
      })
    })

  withCommon(events.command('replay [ids...]').description('process processed/failed events again: these ids, or every event matching the filters'))
    .option('--source <name>', 'filter by source')
    .addOption(new Option('--status <status>', 'filter by status').choices(['processed', 'failed']))
    .option('--type <type>', 'filter by event type')
    .option('--since <when>', 'received since: 2h, 30m, 7d or an ISO date')
    .option('--fresh', 'also forget the events\' ctx.once records, so every effect runs again')
    .option('--dry-run', 'say what would be replayed, change nothing')
    .option('-y, --yes', 'replay without asking (filters ask for confirmation)')
    .action(async (ids: string[], flags: ServeFlags & ReplayFlags) => {
      const filter: EventFilter = { source: flags.source, status: flags.status, type: flags.type, since: flags.since ? parseSince(flags.since) : undefined }
      const filtered = Object.values(filter).some((v) => v !== undefined)
      if (ids.length && filtered) throw new CliError('give event ids or filters (--status, --source, --since, --type), not both')
      if (!ids.length && !filtered) throw new CliError('give event ids, or filters (--status, --source, --since, --type) to replay every matching event')
      await withStore(flags, async (store) => {
        if (ids.length) await replayIds(store, ids, flags)
        else await replayFiltered(store, filter, flags)
      })
    })

  withCommon(program.command('prune').description('delete finished events past their retention now (retention.* in the config; the worker also does it on a timer)'))
    .option('--dry-run', 'say what would be deleted, change nothing')
    .action(async (flags: ServeFlags & { dryRun?: boolean }) => {
      const retention = await retentionFor(flags)
      await withStore(flags, async (store) => {
        const progress = process.stderr.isTTY && !flags.dryRun ? (t: PruneResult) => process.stderr.write(`\r  pruned ${t.processed + t.failed} events, ${t.bodies} bodies…`) : undefined
        const freed = await pruneAll(store, retention, new Date(), { dryRun: flags.dryRun, onBatch: progress })
        if (progress) process.stderr.write('\n')
        const days = (d: number | false) => (d === false ? 'kept' : `${d} d`)
        console.log(`retention: processed ${days(retention.processedDays)}, failed ${days(retention.failedDays)}, bodies of processed events ${days(retention.processedBodyDays)}`)
        console.log(describePrune(freed, flags.dryRun ?? false))
        if (!flags.dryRun && freed.bytes > 0) console.log('(the database file keeps its size: SQLite reuses the freed pages for new events)')
      })
    })

  const forwarding = program.command('forwarding').description('sources whose forwarding the worker turned off (their destination answered 410 Gone)')
  withCommon(forwarding.command('status').description('list sources with forwarding disabled')).action(async (flags: ServeFlags) => {
    await withStore(flags, async (store) => {
      const disabled = await store.disabledForwarding()
      if (disabled.length === 0) console.log('forwarding is enabled for every source')
      else console.log(table(['SOURCE', 'DISABLED', 'WHY'], disabled.map((d) => [d.source, `${d.disabledAt.toISOString()} (${ago(d.disabledAt)})`, d.reason])))
    })
  })
  withCommon(forwarding.command('enable <source>').description('turn forwarding back on for a source (then replay its failed events)')).action(async (source: string, flags: ServeFlags) => {
    await withStore(flags, async (store) => {
      if (!(await store.enableForwarding(source))) throw new CliError(`forwarding is not disabled for source ${JSON.stringify(source)}`)
      console.log(`forwarding enabled for ${source}; replay what failed meanwhile with: inhook events replay --status failed --source ${source}`)
    })
  })

  withCommon(program.command('stats').description('counts by source and status, the queue, rates over the last minute and hour'))
    .option('--json', 'as JSON (the shape of GET /api/stats)')
    .action(async (flags: ServeFlags & { json?: boolean }) => {
      await withStore(flags, async (store) => {
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
      })
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
      await withStore(flags, async (store) => {
        const items = await store.rejections({ source: flags.source, since, limit })
        if (flags.json) for (const r of items) process.stdout.write(JSON.stringify(rejectionJson(r)) + '\n')
        else if (items.length === 0) console.log('no rejected requests')
        else console.log(table(['WHEN', 'SOURCE', 'STATUS', 'REASON', 'CLIENT IP', 'HINT'], items.map((r) => [ago(r.at), r.source, String(r.status), r.reason, r.clientIp ?? '', r.hint ?? ''])))
      })
    })

  program
    .command('providers')
    .description('list the providers inhook verifies, with the options each needs')
    .option('-c, --config <path>', "also list the config's own provider modules")
    .option('--json', 'as JSON')
    .option('--markdown [file]', 'write the catalogue as markdown (default docs/providers.md)')
    .action(async (flags: { config?: string; json?: boolean; markdown?: string | boolean }) => {
      const custom = flags.config ? (await loadConfig(flags.config)).providers : []
      const entries = catalogue([...builtinProviders, ...custom])
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

interface ReplayFlags {
  source?: string
  status?: 'processed' | 'failed'
  type?: string
  since?: string
  fresh?: boolean
  dryRun?: boolean
  yes?: boolean
}

/** Bulk replays show a progress bar (on a terminal) from this many events. */
const PROGRESS_FROM_EVENTS = 1000

async function replayIds(store: SqliteStore, ids: string[], flags: ReplayFlags) {
  const missing: string[] = []
  const replayable: string[] = []
  for (const id of ids) {
    const event = await store.get(id)
    if (!event) missing.push(id)
    else if (event.status === 'processed' || event.status === 'failed') replayable.push(id)
  }
  if (missing.length) throw new CliError(`no event with id ${missing.map((m) => JSON.stringify(m)).join(', ')}`)
  if (flags.dryRun) {
    console.log(`would replay ${replayable.length} of ${ids.length} event(s)${replayable.length < ids.length ? ' (events still new or processing are left as they are)' : ''}`)
    return
  }
  const changed = await store.replay(ids, new Date(), { fresh: flags.fresh })
  console.log(`replayed ${changed} of ${ids.length} event(s)${changed < ids.length ? ' (events still new or processing, or whose body was dropped, are left as they are)' : ''}${flags.fresh ? ', once records cleared' : ''}`)
}

async function replayFiltered(store: SqliteStore, filter: EventFilter, flags: ReplayFlags) {
  const count = await store.countReplayable(filter)
  const total = count.processed + count.failed
  if (count.withoutBody) console.error(`${count.withoutBody} matching event(s) cannot be replayed: retention dropped their body`)
  if (total === 0) {
    console.log('no processed or failed events match')
    return
  }
  const what = describeCount(count)
  if (flags.dryRun) {
    console.log(`would replay ${what}`)
    return
  }
  if (!flags.yes) {
    if (!process.stdin.isTTY) throw new CliError(`this would replay ${what}; pass --yes to confirm (stdin is not a terminal)`)
    const prompt = createInterface({ input: process.stdin, output: process.stderr })
    const answer = await prompt.question(`replay ${what}${flags.fresh ? ', forgetting their once records' : ''}? [y/N] `).finally(() => prompt.close())
    if (!/^y(es)?$/i.test(answer.trim())) {
      console.log('nothing replayed')
      return
    }
  }
  const bar = process.stderr.isTTY && total >= PROGRESS_FROM_EVENTS
  const changed = await store.replayWhere(filter, new Date(), {
    fresh: flags.fresh,
    onProgress: bar ? (done, of) => process.stderr.write(`\r  [${progressBar(done / of)}] ${done}/${of}`) : undefined,
  })
  if (bar) process.stderr.write('\n')
  console.log(`replayed ${changed} event(s)${flags.fresh ? ', once records cleared' : ''}`)
}

const describeCount = (c: ReplayCount) =>
  `${c.processed + c.failed} event(s) (${[c.failed && `${c.failed} failed`, c.processed && `${c.processed} processed`].filter(Boolean).join(', ')})`

export const progressBar = (fraction: number, width = 30) => '#'.repeat(Math.round(fraction * width)).padEnd(width, '.')

function describePrune(r: PruneResult, dryRun: boolean): string {
  const events = r.processed + r.failed
  if (events + r.bodies === 0) return dryRun ? 'nothing to prune' : 'nothing pruned'
  const parts = [events && `${dryRun ? 'would delete' : 'deleted'} ${events} event(s) (${r.processed} processed, ${r.failed} failed)`, r.bodies && `${dryRun ? 'would drop' : 'dropped'} ${r.bodies} bod${r.bodies === 1 ? 'y' : 'ies'}`]
  return `${parts.filter(Boolean).join(', ')}: ${bytes.format(r.bytes, { unitSeparator: ' ' })} ${dryRun ? 'to free' : 'freed'}`
}

/** The retention policy: the config's, or the defaults when there is no config file. */
async function retentionFor(flags: ServeFlags): Promise<RetentionConfig> {
  try {
    return (await loadConfig(flags.config ?? env.INHOOK_CONFIG)).retention
  } catch (error) {
    if (flags.config ?? env.INHOOK_CONFIG) throw error
    return (await resolveConfig({ sources: {} })).retention
  }
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
