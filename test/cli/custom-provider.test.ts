// The README's custom provider example, taken from the README itself, loaded by the real CLI.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, startServe } from '../helpers/cli.ts'

/** The first ```ts block of the README that starts with `// <path>`. */
function readmeBlock(path: string): string {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8')
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith(`// ${path}\n`))
  if (!block) throw new Error(`README.md has no \`\`\`ts block starting with // ${path}`)
  return block
}

describe('a custom provider module (README example)', () => {
  // Inside the package, so `import … from 'inhook'` and `zod` resolve as they do in a user's project.
  const dir = join(process.cwd(), 'test-output', `custom-provider-${process.pid}`)
  const config = join(dir, 'inhook.config.json')
  beforeAll(() => {
    mkdirSync(join(dir, 'providers'), { recursive: true })
    writeFileSync(join(dir, 'providers/acme.ts'), readmeBlock('providers/acme.ts'))
    writeFileSync(config, JSON.stringify({ database: { url: `file:${join(dir, 'acme.db')}` }, providers: ['./providers/acme.ts'], sources: { acme: { provider: 'acme', secret: 'acme-secret' } } }))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('is listed, verifies signed deliveries and refuses unsigned ones', async () => {
    const listed = await runCli(['providers', '--config', config])
    expect(listed.stdout).toMatch(/^acme\s+Acme Corp\s+secret\|secrets/m)
    const server = await startServe(['--config', config])
    try {
      const sent = await runCli(['send', 'acme', '--config', config, '--type', 'order.paid', '--to', `${server.url}/webhooks/acme`])
      expect(sent.stdout).toMatch(/→ 200 OK/)
      const unsigned = await fetch(`${server.url}/webhooks/acme`, { method: 'POST', body: '{"type":"order.paid"}', headers: { 'x-acme-signature': 'sha256=' + '0'.repeat(64) } })
      expect(unsigned.status).toBe(401)
      const list = await runCli(['events', 'list', '--config', config, '--json'])
      expect(list.stdout.trim().split('\n').map((l) => JSON.parse(l))).toMatchObject([{ source: 'acme', provider: 'acme', type: 'order.paid' }])
    } finally {
      await server.stop()
    }
  })
})
