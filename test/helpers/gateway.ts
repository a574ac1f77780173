// Test helpers: a real gateway on an ephemeral loopback port with a real SQLite file in a temp dir.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { resolveConfig, type Config, type ConfigInput } from '../../src/config.ts'
import { startGateway, type Gateway } from '../../src/gateway.ts'

export const silentLog = pino({ level: 'silent' })

export function tempDir(prefix = 'inhook-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface TestGateway extends Gateway {
  dir: string
  config: Config
  dbFile: string
  /** POSTs (or other method) to /webhooks/<source>. */
  send(source: string, init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array; query?: string }): Promise<Response>
  close(): Promise<void>
}

/** Starts a gateway with `input` (server/database defaults set for tests). Worker off unless asked. */
export async function startTestGateway(input: ConfigInput, options: { worker?: boolean; log?: Logger } = {}): Promise<TestGateway> {
  const { dir, cleanup } = tempDir()
  const dbFile = join(dir, 'inhook.db')
  const config = await resolveConfig({
    ...input,
    server: { port: 0, host: '127.0.0.1', ...input.server },
    database: { url: `file:${dbFile}`, ...input.database },
    worker: { pollMs: 50, graceMs: 1000, ...input.worker, enabled: options.worker ?? false },
    log: { level: 'silent' },
  })
  const gateway = await startGateway(config, { log: options.log ?? silentLog, worker: options.worker ?? false })
  return Object.assign(gateway, {
    dir,
    config,
    dbFile,
    send: (source: string, init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array; query?: string }) =>
      fetch(`${gateway.url}/webhooks/${source}${init.query ? `?${init.query}` : ''}`, { method: init.method ?? 'POST', headers: init.headers, body: init.body as RequestInit['body'] }),
    close: async () => {
      await gateway.stop()
      cleanup()
    },
  })
}

/** Waits for `check` to return a truthy value, polling; throws after `timeoutMs`. Never a fixed sleep. */
export async function waitFor<T>(check: () => T | Promise<T>, { timeoutMs = 5000, intervalMs = 10 } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
