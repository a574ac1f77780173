// Baseline 1: the framework's hello-world. Answers 200 to anything; reads nothing.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.all('*', (c) => c.json({ ok: true }))

const port = Number(process.env.PORT ?? 8787)
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => process.stdout.write(`listening on ${port}\n`))
process.once('SIGTERM', () => process.exit(0))
