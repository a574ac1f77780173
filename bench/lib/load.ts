// The load generator: wrk when installed (bench/github.lua), else autocannon in a separate process
// (bench/lib/autocannon-child.ts). Both send the same signed 2 KB body with a unique delivery id per
// request and report the same summary.
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface LoadOptions {
  url: string
  seconds: number
  connections: number
  /** Load generator threads (wrk only). */
  threads: number
  /** Distinguishes the delivery ids of successive runs against one database (0–255). */
  runId: number
  bodyFile: string
  signature: string
  /**
   * Paced load, for latency below saturation: each connection waits `thinkMs` on average (exponentially
   * distributed) before each request, so the offered rate is about connections / (thinkMs + latency).
   */
  thinkMs?: number
}

export interface LoadResult {
  tool: 'wrk' | 'autocannon'
  /** Responses received. */
  requests: number
  /** Responses with a status outside 2xx/3xx. */
  non2xx: number
  /** Connect, read, write errors and timeouts. */
  errors: number
  seconds: number
  rps: number
  p50Ms: number
  p99Ms: number
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

let hasWrk: boolean | undefined
export const loadTool = (): LoadResult['tool'] => ((hasWrk ??= spawnSync('wrk', ['--version']).error === undefined) ? 'wrk' : 'autocannon')

/** Runs the load for `seconds` (hard-killed 20 s later if the generator hangs). */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const env = { ...process.env, BENCH_BODY_FILE: o.bodyFile, BENCH_SIGNATURE: o.signature, BENCH_RUN: String(o.runId), BENCH_THINK_MS: String(o.thinkMs ?? 0) }
  const tool = loadTool()
  const { origin, pathname } = new URL(o.url)
  const [cmd, args] =
    tool === 'wrk'
      ? ['wrk', [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '10s', '-s', here('../github.lua'), `${origin}${pathname}`]]
      : [process.execPath, ['--import', 'tsx', here('./autocannon-child.ts'), o.url, String(o.connections), String(o.seconds), String(o.thinkMs ?? 0)]]
  const out = await runBounded(cmd, args, env, (o.seconds + 20) * 1000)
  const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '))
  if (!line) throw new Error(`${tool} printed no summary:\n${out.slice(-2000)}`)
  const r = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>
  const seconds = r.durationUs! / 1e6
  return {
    tool,
    requests: r.requests!,
    non2xx: r.non2xx!,
    errors: r.connectErrors! + r.readErrors! + r.writeErrors! + r.timeouts!,
    seconds,
    rps: r.requests! / seconds,
    p50Ms: r.p50Us! / 1000,
    p99Ms: r.p99Us! / 1000,
  }
}

function runBounded(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`${cmd} exited with ${signal ?? code}:\n${out.slice(-2000)}`))
    })
  })
}
