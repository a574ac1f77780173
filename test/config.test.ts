import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, resolveConfig } from '../src/config.ts'
import { tempDir } from './helpers/gateway.ts'

const issuesOf = async (input: unknown, env: Record<string, string> = {}) => {
  try {
    await resolveConfig(input, { env })
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).issues
  }
  throw new Error('expected a ConfigError')
}

describe('config', () => {
  it('names the key path and the variable when an env secret is missing', async () => {
    expect(await issuesOf({ sources: { github: { provider: 'github', secret: { env: 'GITHUB_WEBHOOK_SECRET' } } } })).toEqual([
      'sources.github.secret: expected a string (set GITHUB_WEBHOOK_SECRET)',
    ])
  })

  it('reads secrets from the environment, falling back to the default', async () => {
    const config = await resolveConfig(
      { sources: { a: { provider: 'github', secret: { env: 'A_SECRET' } }, b: { provider: 'github', secret: { env: 'B_SECRET', default: 'dev' } } } },
      { env: { A_SECRET: 'from-env' } },
    )
    expect(config.sources.get('a')!.options).toMatchObject({ secrets: ['from-env'] })
    expect(config.sources.get('b')!.options).toMatchObject({ secrets: ['dev'] })
  })

  it('refuses to start on an unknown provider (fail closed)', async () => {
    const issues = await issuesOf({ sources: { shop: { provider: 'shopfy', secret: 'x' } } })
    expect(issues[0]).toMatch(/^sources\.shop\.provider: unknown provider "shopfy"/)
  })

  it('refuses a source missing a required option', async () => {
    expect(await issuesOf({ sources: { github: { provider: 'github' } } })).toEqual([
      'sources.github.secret: expected a string (required by provider github; or secrets: [...] to rotate)',
    ])
  })

  it('collects every problem and reports them together', async () => {
    const issues = await issuesOf({
      server: { port: 'eighty' },
      sources: { a: { provider: 'nope' }, b: { provider: 'github', secret: 's', allowIps: ['10.0.0.0/33'] }, c: { provider: 'github', secret: 's', bodyLimit: 'lots' } },
    })
    expect(issues).toEqual([
      'server.port: expected a number, got a string',
      expect.stringMatching(/^sources\.a\.provider: unknown provider "nope"/),
      expect.stringMatching(/^sources\.b\.allowIps: "10\.0\.0\.0\/33" is not an IP address or CIDR range/),
      `sources.c.bodyLimit: expected a size such as 1048576, '512kb' or '1mb', got "lots"`,
    ])
  })

  it('never echoes a secret in its errors', async () => {
    const issues = await issuesOf({ sources: { a: { provider: 'github', secrets: 'hunter2-secret' } } })
    expect(issues.join('\n')).not.toContain('hunter2')
  })

  it('turns secret into secrets and parses sizes', async () => {
    const config = await resolveConfig({ server: { bodyLimit: '512kb' }, sources: { g: { provider: 'github', secret: 's' }, h: { provider: 'github', secrets: ['a', 'b'], bodyLimit: 2048 } } })
    expect(config.sources.get('g')).toMatchObject({ bodyLimitBytes: 512 * 1024, options: { secrets: ['s'] } })
    expect(config.sources.get('h')).toMatchObject({ bodyLimitBytes: 2048, options: { secrets: ['a', 'b'] } })
    expect(config.server).toMatchObject({ port: 8787, trustProxy: false })
    expect(config.database).toMatchObject({ url: 'file:./data/inhook.db', synchronous: 'NORMAL' })
  })

  it("defaults a source's body limit to 1 MiB, or to what its provider documents sending when larger; a limit the config sets wins", async () => {
    const sources = { gh: { provider: 'github', secret: 's' }, gl: { provider: 'gitlab', secret: 's' }, st: { provider: 'stripe', secret: 'whsec_x' }, own: { provider: 'github', secret: 's', bodyLimit: '2mb' } }
    const defaults = await resolveConfig({ sources })
    expect(Object.fromEntries([...defaults.sources].map(([name, s]) => [name, s.bodyLimitBytes]))).toEqual({ gh: 25 * 1024 * 1024, gl: 25 * 1024 * 1024, st: 1024 * 1024, own: 2 * 1024 * 1024 })
    expect(defaults.server).toMatchObject({ bodyLimitBytes: 1024 * 1024, bodyMemoryLimitBytes: 64 * 1024 * 1024 })

    const capped = await resolveConfig({ server: { bodyLimit: '512kb', bodyMemoryLimit: '8mb' }, sources })
    expect(Object.fromEntries([...capped.sources].map(([name, s]) => [name, s.bodyLimitBytes]))).toEqual({ gh: 512 * 1024, gl: 512 * 1024, st: 512 * 1024, own: 2 * 1024 * 1024 })
    expect(capped.server.bodyMemoryLimitBytes).toBe(8 * 1024 * 1024)
    expect(await issuesOf({ server: { bodyMemoryLimit: 0 }, sources })).toEqual([expect.stringMatching(/^server\.bodyMemoryLimit: /)])
  })

  it('rejects handlers for a source that does not exist', async () => {
    expect(await issuesOf({ sources: {}, handlers: { ghost: { '*': () => {} } } })).toEqual(['handlers.ghost: no source named "ghost" is configured'])
  })
})

describe('loadConfig', () => {
  let dir: string
  let cleanup: () => void
  beforeEach(() => ({ dir, cleanup } = tempDir()))
  afterEach(() => cleanup())

  it('loads a JSON config with { "env": NAME } secrets', async () => {
    const file = join(dir, 'inhook.config.json')
    writeFileSync(file, JSON.stringify({ sources: { github: { provider: 'github', secret: { env: 'GH_SECRET' } } } }))
    const config = await loadConfig(file, { env: { GH_SECRET: 'json-secret' } })
    expect(config.file).toBe(file)
    expect(config.sources.get('github')!.options).toMatchObject({ secrets: ['json-secret'] })
  })

  it('says where a JSON config is broken', async () => {
    const file = join(dir, 'bad.json')
    writeFileSync(file, '{ "sources": ')
    await expect(loadConfig(file)).rejects.toThrow(/bad\.json is not valid JSON/)
  })

  it('loads a TypeScript config using defineConfig and env()', async () => {
    const file = join(dir, 'inhook.config.ts')
    writeFileSync(
      file,
      `import { defineConfig, env } from ${JSON.stringify(join(process.cwd(), 'src/index.ts'))}
export default defineConfig({ sources: { github: { provider: 'github', secret: env('TS_SECRET', 'ts-default') } }, handlers: { github: { push: () => {} } } })`,
    )
    const config = await loadConfig(file, { env: {} })
    expect(config.sources.get('github')!.options).toMatchObject({ secrets: ['ts-default'] })
    expect(typeof config.handlers.github!.push).toBe('function')
  })

  it('loads a custom provider module named in providers', async () => {
    mkdirSync(join(dir, 'providers'))
    writeFileSync(
      join(dir, 'providers/acme.ts'),
      `import { z } from 'zod'
export const acme = { name: 'acme', title: 'Acme', docs: 'https://acme.example/webhooks', options: z.object({ secrets: z.array(z.string()) }),
  verify: () => ({ ok: true }), describe: () => ({}) }`,
    )
    const file = join(dir, 'inhook.config.json')
    writeFileSync(file, JSON.stringify({ providers: ['./providers/acme.ts'], sources: { acme: { provider: 'acme', secret: 'x' } } }))
    const config = await loadConfig(file)
    expect(config.sources.get('acme')!.provider.name).toBe('acme')
  })

  it('reports a missing config file with the path', async () => {
    await expect(loadConfig(join(dir, 'nope.ts'))).rejects.toThrow(/config file not found: .*nope\.ts/)
  })
})
