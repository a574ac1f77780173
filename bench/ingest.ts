// `npm run bench`: ingest throughput of inhook against a bare Hono hello-world, an HMAC-only Hono
// server and (when installed) the Debian `webhook` Go receiver. Servers run in turn, interleaved over
// rounds, each on loopback with a fresh temp dir; every storing run is checked: each acknowledged
// delivery must be in the database.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../src/store/database.ts'
import { SqliteStore } from '../src/store/sqlite-store.ts'
import { runLoad, loadTool, type LoadResult } from './lib/load.ts'
import { describeMachine, machineLine, markdownTable, median, REPO_DIR, textTable, writeJson, writeLatestSection } from './lib/report.ts'
import { freePort, startServer, waitUntilAnswering, type Command } from './lib/server.ts'
import { githubBody, PAYLOAD_BYTES, SECRET, signGithub } from './payload.ts'

export interface IngestOptions {
  rounds: number
  seconds: number
  warmupSeconds: number
  connections: number
  threads: number
  /** Server names to run (default: all). */
  only?: string[]
  /** Size of the signed body (default: PAYLOAD_BYTES). */
  bytes?: number
}

interface ServerSpec {
  name: string
  label: string
  path: string
  stores: boolean
  command(dir: string, port: number): Command
}

const node = (script: string, port: number, env: Record<string, string> = {}): Command => ({
  cmd: process.execPath,
  args: ['--import', 'tsx', join(REPO_DIR, script)],
  env: { PORT: String(port), SECRET, ...env },
  cwd: REPO_DIR,
})

const inhook = (name: string, label: string, synchronous: 'NORMAL' | 'FULL', flags: string[]): ServerSpec => ({
  name,
  label,
  path: '/webhooks/github',
  stores: true,
  command(dir, port) {
    const config = {
      server: { port, host: '127.0.0.1' },
      database: { url: `file:${join(dir, 'inhook.db')}`, synchronous },
      admin: { token: 'bench-admin-token-0123456789' },
      log: { level: 'warn' },
      sources: { github: { provider: 'github', secret: SECRET } },
    }
    writeFileSync(join(dir, 'inhook.config.json'), JSON.stringify(config))
    // The `inhook` command itself, as installed: its shebang carries its Node flags.
    return { cmd: join(REPO_DIR, 'src/bin.mjs'), args: ['serve', '--config', join(dir, 'inhook.config.json'), ...flags], cwd: REPO_DIR }
  },
})

const hasWebhook = () => spawnSync('webhook', ['-version']).error === undefined

function servers(): ServerSpec[] {
  const list: ServerSpec[] = [
    { name: 'bare', label: 'bare Hono, answers 200', path: '/webhooks/github', stores: false, command: (_, port) => node('bench/servers/bare-hono.ts', port) },
    { name: 'hmac', label: 'Hono + body + HMAC check, stores nothing', path: '/webhooks/github', stores: false, command: (_, port) => node('bench/servers/hmac-only.ts', port) },
  ]
  if (hasWebhook())
    list.push({
      name: 'webhook',
      label: '`webhook` (Go): HMAC check + runs /bin/true',
      path: '/hooks/github',
      stores: false,
      command(dir, port) {
        const hooks = [{ id: 'github', 'execute-command': '/bin/true', 'trigger-rule': { match: { type: 'payload-hmac-sha256', secret: SECRET, parameter: { source: 'header', name: 'X-Hub-Signature-256' } } } }]
        writeFileSync(join(dir, 'hooks.json'), JSON.stringify(hooks))
        return { cmd: 'webhook', args: ['-hooks', join(dir, 'hooks.json'), '-ip', '127.0.0.1', '-port', String(port)] }
      },
    })
  list.push(
    inhook('inhook', 'inhook, 1 process, synchronous=NORMAL', 'NORMAL', ['--no-worker']),
    inhook('inhook-full', 'inhook, 1 process, synchronous=FULL', 'FULL', ['--no-worker']),
    inhook('inhook-workers2', 'inhook `--workers 2`, NORMAL', 'NORMAL', ['--no-worker', '--workers', '2']),
    inhook('inhook-worker-on', 'inhook, 1 process, NORMAL, worker loop on (no-op)', 'NORMAL', []),
  )
  return list
}

interface RoundResult {
  round: number
  load: LoadResult
  warmup: LoadResult
  /** Paced at half of this run's saturation rate. */
  half?: LoadResult
  peakRssBytes: number
  /** Sum over the server's processes. */
  cpuSeconds: number
  acknowledged?: number
  stored?: number
  stoppedGracefully: boolean
  error?: string
}

export async function runIngestBench(o: IngestOptions): Promise<void> {
  const specs = servers().filter((s) => !o.only || o.only.includes(s.name))
  if (specs.length === 0) throw new Error(`--only matched no server (known: ${servers().map((s) => s.name).join(', ')})`)
  const machine = describeMachine()
  const work = mkdtempSync(join(tmpdir(), 'inhook-bench-'))
  const bodyFile = join(work, 'body.json')
  const bytes = o.bytes ?? PAYLOAD_BYTES
  const body = githubBody(bytes)
  writeFileSync(bodyFile, body)
  const signature = signGithub(body)
  const results = new Map<string, RoundResult[]>(specs.map((s) => [s.name, []]))
  const started = Date.now()
  console.log(`ingest bench: ${specs.length} servers × ${o.rounds} rounds × ${o.seconds} s (+${o.warmupSeconds} s warm-up), ${o.connections} connections, ${loadTool()}, ${bytes}-byte signed bodies`)
  console.log(machineLine(machine))
  let runId = 0
  try {
    for (let round = 1; round <= o.rounds; round++) {
      // Rotate the order each round so no server always runs first (or right after a heavy one).
      const order = specs.map((_, i) => specs[(i + round - 1) % specs.length]!)
      for (const spec of order) {
        const result = await runOne(spec, round, o, { work, bodyFile, body, signature, runId: (runId += 3) })
        results.get(spec.name)!.push(result)
        const check = result.stored === undefined ? '' : `  stored ${result.stored} / acked ${result.acknowledged}${result.stored < result.acknowledged! ? '  LOST WRITES' : ''}`
        console.log(
          `  round ${round}  ${spec.name.padEnd(16)} ${result.error ? `ERROR ${result.error}` : `${Math.round(result.load.rps).toString().padStart(6)} req/s  p50 ${result.load.p50Ms.toFixed(2)} ms  p99 ${result.load.p99Ms.toFixed(2)} ms  at ${Math.round(result.half?.rps ?? 0)} req/s p99 ${result.half?.p99Ms.toFixed(2) ?? '–'} ms  RSS ${mib(result.peakRssBytes)} MiB  CPU ${((result.cpuSeconds / Math.max(1, result.load.requests)) * 1e6).toFixed(0)} µs/req${check}`}`,
        )
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }

  const rows = summarize(specs, results)
  const header = ['server', 'req/s median (min–max)', 'vs bare', 'p50 ms', 'p99 ms', 'p99 ms at ~half load', 'peak RSS MiB', 'CPU µs/req', 'stored / acked']
  const cells = rows.map((r) => [r.label, r.rps, r.ratio, r.p50, r.p99, r.halfP99, r.rss, r.cpu, r.check])
  const command = `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
  console.log(`\n${textTable(header, cells)}\n\n(${Math.round((Date.now() - started) / 1000)} s)`)
  const file = writeJson('ingest', { machine, options: o, tool: loadTool(), payloadBytes: bytes, command, summary: rows, rounds: Object.fromEntries(results) })
  const md = [
    `### Ingest (\`${command}\`)`,
    '',
    `${machineLine(machine)}. ${o.connections} connections, ${loadTool()} on the same machine, ${bytes}-byte GitHub-style bodies with a valid \`X-Hub-Signature-256\` and a unique delivery id each; medians of ${o.rounds} interleaved rounds of ${o.seconds} s, fresh database each run; RSS is the peak (VmHWM) of the largest server process; CPU is the server's user+system time per request; "p99 at ~half load" is a second run right after, each connection waiting a random think time before each request so that the offered load is about half the rate the server just sustained (the JSON has the rate reached).`,
    '',
    markdownTable(header, cells),
  ].join('\n')
  const latest = writeLatestSection('ingest', md)
  console.log(`\nwrote ${file}\nwrote ${latest}`)
  const lost = rows.filter((r) => r.lost)
  if (lost.length) {
    console.error(`\nLOST WRITES: ${lost.map((r) => r.name).join(', ')} acknowledged deliveries that are not in the database`)
    process.exitCode = 1
  }
}

async function runOne(spec: ServerSpec, round: number, o: IngestOptions, ctx: { work: string; bodyFile: string; body: string; signature: string; runId: number }): Promise<RoundResult> {
  const dir = mkdtempSync(join(ctx.work, `${spec.name}-`))
  const port = await freePort()
  const server = startServer(spec.command(dir, port))
  const url = `http://127.0.0.1:${port}${spec.path}`
  const empty: LoadResult = { tool: loadTool(), requests: 0, non2xx: 0, errors: 0, seconds: 0, rps: 0, p50Ms: 0, p99Ms: 0 }
  const result: RoundResult = { round, load: empty, warmup: empty, peakRssBytes: 0, cpuSeconds: 0, stoppedGracefully: false }
  try {
    const headers = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': `ready-${ctx.runId}`, 'x-hub-signature-256': ctx.signature }
    const status = await waitUntilAnswering(url, { method: 'POST', headers, body: ctx.body }, server)
    if (status < 200 || status > 299) throw new Error(`a valid signed delivery got HTTP ${status}:\n${server.output()}`)
    const load = { url, connections: o.connections, threads: o.threads, bodyFile: ctx.bodyFile, signature: ctx.signature }
    result.warmup = await runLoad({ ...load, seconds: o.warmupSeconds, runId: ctx.runId })
    const cpuBefore = server.cpuSeconds()
    result.load = await runLoad({ ...load, seconds: o.seconds, runId: ctx.runId + 1 })
    result.cpuSeconds = server.cpuSeconds() - cpuBefore
    result.peakRssBytes = Math.max(0, ...server.peakRss().values())
    // Latency when not saturated: the same server at about half the rate it just sustained. Each
    // connection thinks between requests; its answer's own time is guessed at half the saturated p50.
    const thinkMs = Math.max(0.1, (o.connections * 1000) / (result.load.rps / 2) - result.load.p50Ms / 2)
    result.half = await runLoad({ ...load, seconds: o.seconds, runId: ctx.runId + 2, thinkMs })
  } catch (error) {
    result.error = (error as Error).message.split('\n')[0]
    console.error((error as Error).message)
  } finally {
    const stopped = await server.stop()
    result.stoppedGracefully = stopped.graceful && stopped.leftovers.length === 0
    if (!result.stoppedGracefully) result.error ??= `did not stop gracefully on SIGTERM (${stopped.leftovers.length} process(es) left, killed)`
  }
  if (spec.stores && !result.error) {
    const ok = (r: LoadResult) => r.requests - r.non2xx
    result.acknowledged = 1 + ok(result.warmup) + ok(result.load) + (result.half ? ok(result.half) : 0)
    const store = new SqliteStore(openDatabase(`file:${join(dir, 'inhook.db')}`, { migrate: false }))
    try {
      result.stored = await store.countWhere({ source: 'github' })
    } finally {
      await store.close()
    }
  }
  rmSync(dir, { recursive: true, force: true })
  return result
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0)
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

function summarize(specs: ServerSpec[], results: Map<string, RoundResult[]>) {
  const bare = results.get('bare')?.filter((r) => !r.error)
  const bareRps = bare?.length ? median(bare.map((r) => r.load.rps)) : undefined
  return specs.map((spec) => {
    const all = results.get(spec.name)!
    const ok = all.filter((r) => !r.error)
    const rps = ok.map((r) => r.load.rps)
    const m = median(rps)
    const stored = ok.reduce((s, r) => s + (r.stored ?? 0), 0)
    const acked = ok.reduce((s, r) => s + (r.acknowledged ?? 0), 0)
    const lost = ok.some((r) => r.stored !== undefined && r.stored < r.acknowledged!)
    const non2xx = ok.reduce((s, r) => s + r.load.non2xx + r.warmup.non2xx + (r.half?.non2xx ?? 0), 0)
    const errors = all.length - ok.length
    return {
      name: spec.name,
      label: spec.label,
      medianRps: m,
      ratioToBare: bareRps ? m / bareRps : undefined,
      rps: ok.length ? `${fmt(m)} (${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))})` : 'failed',
      ratio: bareRps && ok.length ? (m / bareRps).toFixed(2) : '',
      p50: ok.length ? median(ok.map((r) => r.load.p50Ms)).toFixed(2) : '',
      p99: ok.length ? median(ok.map((r) => r.load.p99Ms)).toFixed(2) : '',
      halfP99: ok.some((r) => r.half) ? median(ok.filter((r) => r.half).map((r) => r.half!.p99Ms)).toFixed(2) : '',
      rss: ok.length ? mib(Math.max(...ok.map((r) => r.peakRssBytes))) : '',
      cpu: ok.length ? median(ok.map((r) => (r.cpuSeconds / Math.max(1, r.load.requests)) * 1e6)).toFixed(0) : '',
      check: spec.stores ? `${fmt(stored)} / ${fmt(acked)}${lost ? ' LOST' : ' ✓'}` : '—',
      lost,
      non2xx,
      errors,
    }
  })
}
