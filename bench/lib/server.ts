// Starting, measuring and stopping a server process for one benchmark run. Every process started
// here is stopped here: SIGTERM, then SIGKILL to its process group after a bound.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'

export interface Command {
  cmd: string
  args: string[]
  env?: Record<string, string>
  cwd?: string
}

export interface RunningServer {
  pid: number
  /** The server's process and its descendants (cluster workers). */
  pids(): number[]
  /** Peak resident set (VmHWM) of each process, bytes. */
  peakRss(): Map<number, number>
  /** User + system CPU seconds used so far by the server's processes. */
  cpuSeconds(): number
  /** Output so far (for error messages). */
  output(): string
  /** SIGTERM and wait; SIGKILL the process group if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<{ graceful: boolean; leftovers: number[] }>
}

/** A free loopback port (the kernel picks one; the listener is closed before the server starts). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

const CLOCK_TICKS = 100 // USER_HZ on Linux

const children = (pid: number): number[] => {
  const out: number[] = []
  try {
    for (const task of readdirSafe(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim()
      if (text) for (const c of text.split(/\s+/)) out.push(Number(c), ...children(Number(c)))
    }
  } catch {
    // the process has exited
  }
  return out
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path)
  } catch {
    return []
  }
}

const status = (pid: number, field: string): number | undefined => {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

const cpuTicks = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12]) // utime, stime (fields 14 and 15 of stat)
  } catch {
    return 0
  }
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(safeRead(`/proc/${pid}/status`))
const safeRead = (path: string) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

export function startServer(command: Command): RunningServer {
  const child: ChildProcess = spawn(command.cmd, command.args, {
    cwd: command.cwd,
    env: { ...process.env, ...command.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so a hung cluster can be killed as a whole
  })
  let output = ''
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pid = child.pid!
  const pids = () => (alive(pid) ? [pid, ...children(pid)] : [])
  return {
    pid,
    pids,
    peakRss: () => new Map(pids().map((p) => [p, status(p, 'VmHWM') ?? 0])),
    cpuSeconds: () => pids().reduce((sum, p) => sum + cpuTicks(p), 0) / CLOCK_TICKS,
    output: () => output,
    async stop(graceMs = 15_000) {
      const family = pids()
      if (child.exitCode !== null || child.signalCode !== null) return { graceful: true, leftovers: [] }
      child.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      const graceful = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))])
      clearTimeout(timer)
      // Wait (bounded) for descendants to go too; whatever is left is killed with its group.
      const deadline = Date.now() + 5000
      let leftovers = family.filter(alive)
      while (leftovers.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50))
        leftovers = family.filter(alive)
      }
      if (!graceful || leftovers.length) {
        try {
          process.kill(-pid, 'SIGKILL')
        } catch {
          // already gone
        }
        await exited
      }
      return { graceful, leftovers }
    },
  }
}

/** POSTs once until the server answers (any HTTP status), within `timeoutMs`. Returns the status. */
export async function waitUntilAnswering(url: string, init: RequestInit, server: RunningServer, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      return res.status
    } catch {
      if (!alive(server.pid)) throw new Error(`the server exited before answering:\n${server.output()}`)
      if (Date.now() > deadline) throw new Error(`no answer from ${url} within ${timeoutMs} ms:\n${server.output()}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}
