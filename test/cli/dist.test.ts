// The runtime build (src/dist.mjs): `inhook` runs dist/ only while it matches the sources, and the
// build loads a TypeScript config (with a handler module and `import … from 'inhook'`) without tsx.
import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error: plain JavaScript (it runs before any TypeScript loader), without declarations.
import { isDistFresh, sourceStamp } from '../../src/dist.mjs'
import { runCli, startServe } from '../helpers/cli.ts'

const fresh = isDistFresh as (root?: string, dist?: string) => boolean
const stamp = sourceStamp as (root?: string) => string

describe('dist/ freshness', () => {
  const root = join(process.cwd(), 'test-output', `dist-stamp-${process.pid}`)
  const built = () => writeFileSync(join(root, 'dist', '.sources'), stamp(root))
  beforeAll(() => {
    for (const dir of ['src/store', 'providers', 'dist']) mkdirSync(join(root, dir), { recursive: true })
    writeFileSync(join(root, 'src/cli.ts'), 'export const a = 1\n')
    writeFileSync(join(root, 'src/store/thread.mjs'), 'export const b = 2\n')
    writeFileSync(join(root, 'providers/acme.ts'), 'export const c = 3\n')
    writeFileSync(join(root, 'src/notes.md'), 'not a source\n')
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('is stale without a build, fresh once built, and stale again after any source changes', () => {
    expect(fresh(root)).toBe(false)
    built()
    expect(fresh(root)).toBe(true)

    writeFileSync(join(root, 'src/notes.md'), 'edited, but not a source\n')
    expect(fresh(root)).toBe(true)

    writeFileSync(join(root, 'src/store/thread.mjs'), 'export const b = 22\n')
    expect(fresh(root)).toBe(false)
    built()

    // Same size, newer modification time (an edit that keeps the length, or a checkout).
    const later = new Date(Date.now() + 60_000)
    utimesSync(join(root, 'providers/acme.ts'), later, later)
    expect(fresh(root)).toBe(false)
    built()

    writeFileSync(join(root, 'providers/new.ts'), 'export const d = 4\n')
    expect(fresh(root)).toBe(false)
    built()
    rmSync(join(root, 'providers/new.ts'))
    expect(fresh(root)).toBe(false)
  })
})

describe('the built gateway', () => {
  const dir = join(process.cwd(), 'test-output', `dist-config-${process.pid}`)
  beforeAll(() => {
    mkdirSync(join(dir, 'handlers'), { recursive: true })
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ fail: false }))
    writeFileSync(join(dir, 'fail.json'), JSON.stringify({ fail: true }))
    writeFileSync(
      join(dir, 'handlers/push.ts'),
      `import { PermanentError, type Handler } from 'inhook'
export const push: Handler = async (event) => {
  const body = event.json<{ fail?: boolean }>()
  if (body.fail) throw new PermanentError('told to fail')
}
`,
    )
    writeFileSync(
      join(dir, 'inhook.config.ts'),
      `import { defineConfig, env } from 'inhook'
import { push } from './handlers/push.ts'
const here: string = import.meta.url
export default defineConfig({
  database: { url: 'file:' + new URL('./dist.db', here).pathname },
  admin: { token: env('DIST_TEST_ADMIN_TOKEN', 'dist-test-admin-token-0123') },
  sources: { github: { provider: 'github', secret: 'dist-test-secret' } },
  handlers: { github: { push } },
})
`,
    )
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('is what `inhook` runs after `npm test` built it', () => {
    expect(isDistFresh()).toBe(true)
    expect(readFileSync(join(process.cwd(), 'dist', 'cli.js'), 'utf8')).toContain('listening on')
  })

  it('runs with its memory settings when started as a command, as an installed `inhook` is', async () => {
    const server = await startServe(['--config', join(dir, 'inhook.config.ts')], { asCommand: true })
    try {
      const read = (what: string) => readFileSync(`/proc/${server.child.pid}/${what}`, 'utf8').split('\0')
      // The shebang (env -S) sets them; README § Performance says what each one saves.
      expect(read('cmdline')).toEqual(expect.arrayContaining(['--max-semi-space-size=8', '--heap-growing-percent=50']))
      expect(read('environ')).toContain('MALLOC_ARENA_MAX=2')
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    } finally {
      await server.stop()
    }
  })

  it('loads a TypeScript config and its handler module, and runs them, with no TypeScript loader thread', async () => {
    const config = join(dir, 'inhook.config.ts')
    const list = async () => {
      const { stdout } = await runCli(['events', 'list', '--config', config, '--json'])
      return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { status: string; lastError: string | null })
    }
    const threads = async (env: Record<string, string>, expected: number) => {
      const server = await startServe(['--config', config], { env })
      try {
        for (const body of ['ok.json', 'fail.json']) {
          const sent = await runCli(['send', 'github', '--config', config, '--type', 'push', '--file', join(dir, body), '--to', `${server.url}/webhooks/github`])
          expect(sent.stdout).toMatch(/→ 200 OK/)
        }
        const deadline = Date.now() + 10_000
        while ((await list()).filter((e) => e.status === 'processed' || e.status === 'failed').length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
        const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8')
        return Number(/^Threads:\s+(\d+)/m.exec(status)![1])
      } finally {
        await server.stop()
      }
    }
    const fromBuild = await threads({}, 2)
    const fromSource = await threads({ INHOOK_FROM_SOURCE: '1' }, 4)
    // tsx's loader is a thread of its own for the life of the process.
    expect(fromBuild).toBe(fromSource - 1)

    const events = await list()
    expect(events).toHaveLength(4)
    // Both servers ran the handler: the PermanentError from 'inhook' failed its events at once.
    expect(events.filter((e) => e.status === 'failed').map((e) => e.lastError)).toEqual([expect.stringContaining('told to fail'), expect.stringContaining('told to fail')])
    expect(events.filter((e) => e.status === 'processed')).toHaveLength(2)
    // The bundled config's temporary files are gone.
    expect(readdirSync(dir).filter((name) => name.includes('bundled'))).toEqual([])
  })
})
