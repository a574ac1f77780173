// Runs the real `inhook` command in a child process.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

export const BIN = join(process.cwd(), 'src/bin.mjs')

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `inhook …args` to completion (bounded by `timeoutMs`). */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`inhook ${args.join(' ')} did not finish within ${options.timeoutMs ?? 20_000} ms\n${stderr}`))
    }, options.timeoutMs ?? 20_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export interface ServeProcess {
  child: ChildProcess
  url: string
  /** Everything printed so far (stdout and stderr). */
  output: () => string
  /** Everything written to stderr so far. */
  stderr: () => string
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends a signal and waits for the exit code (bounded). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>
}

/**
 * Starts `inhook serve …args` on an ephemeral loopback port and resolves once it prints where it
 * listens. `asCommand`: runs src/bin.mjs itself, as an installed `inhook` is (its shebang's settings
 * apply), rather than through this Node.
 */
export function startServe(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; asCommand?: boolean } = {}): Promise<ServeProcess> {
  const timeoutMs = options.timeoutMs ?? 20_000
  const argv = [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...args]
  const [cmd, cmdArgs] = options.asCommand ? [BIN, argv.slice(1)] : [process.execPath, argv]
  const child = spawn(cmd, cmdArgs, { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })))
  child.stderr!.on('data', (d) => {
    out += d
    err += d
  })
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', stopTimeoutMs = 15_000) => {
    child.kill(signal)
    let t: NodeJS.Timeout | undefined
    const result = await Promise.race([exited, new Promise<'timeout'>((r) => (t = setTimeout(() => r('timeout'), stopTimeoutMs)))])
    clearTimeout(t)
    if (result === 'timeout') {
      child.kill('SIGKILL')
      throw new Error(`inhook serve did not exit within ${stopTimeoutMs} ms after ${signal}`)
    }
    return result.code
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`inhook serve did not start within ${timeoutMs} ms:\n${out}`))
    }, timeoutMs)
    child.stdout!.on('data', (d: Buffer) => {
      out += d
      const m = /listening on (https?:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ child, url: m[1]!, output: () => out, stderr: () => err, exited, stop })
      }
    })
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      if (!/listening on/.test(out)) reject(new Error(`inhook serve exited (${code ?? signal}) before listening:\n${out}`))
    })
  })
}
