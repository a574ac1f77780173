// Baseline 2: what any correct receiver must do and nothing more — read the whole body, check
// X-Hub-Signature-256 in constant time, answer 200. Stores nothing.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createHmac, timingSafeEqual } from 'node:crypto'

const secret = process.env.SECRET ?? 'bench-github-secret'
const app = new Hono()
app.post('/webhooks/:source', async (c) => {
  const body = Buffer.from(await c.req.arrayBuffer())
  const header = Buffer.from(c.req.header('x-hub-signature-256') ?? '')
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`)
  if (header.length !== expected.length || !timingSafeEqual(header, expected)) return c.json({ error: 'unauthorized' }, 401)
  return c.json({ ok: true })
})

const port = Number(process.env.PORT ?? 8787)
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => process.stdout.write(`listening on ${port}\n`))
process.once('SIGTERM', () => process.exit(0))
