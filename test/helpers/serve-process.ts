// A real `inhook serve` child process on an ephemeral port: for the crash and shutdown tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/bin.mjs')

export interface ServeProcess {
  child: ChildProcess
  url: string
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Everything written to stderr so far. */
  stderr(): string
}

/**
 * Spawns `node src/bin.mjs serve --config <config> --port 0` and resolves once it prints the address it
 * listens on (`inhook listening on http://127.0.0.1:PORT …`, the first line of its stdout).
 */
export function startServe(configFile: string, { timeoutMs = 15_000, args = [] as string[] } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', configFile, '--port', '0', '--host', '127.0.0.1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })))
  child.stderr!.on('data', (d) => (stderr += d))
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`inhook serve did not start within ${timeoutMs} ms\n${stderr}`))
    }, timeoutMs)
    child.stdout!.on('data', (d) => {
      stdout += d
      const m = /inhook listening on (https?:\/\/[^\s]+)/.exec(stdout)
      if (m && timer) {
        clearTimeout(timer)
        resolvePromise({ child, url: m[1]!, exited, stderr: () => stderr })
      }
    })
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`inhook serve exited (${code ?? signal}) before listening\n${stderr}`))
    })
  })
}
