// autocannon, run in its own process (so it does not share the event loop of the bench driver), with
// the same requests and the same summary line as bench/github.lua.
// Usage: autocannon-child.ts URL CONNECTIONS SECONDS [THINK_MS] (env BENCH_BODY_FILE, BENCH_SIGNATURE, BENCH_RUN).
// THINK_MS (0: none) paces the load: each connection waits about that long before each request.
import autocannon from 'autocannon'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'

const [url, connections, seconds, think] = process.argv.slice(2)
const body = readFileSync(process.env.BENCH_BODY_FILE!)
const run = Number(process.env.BENCH_RUN ?? 0)
let counter = 0
// Random-looking and unique: a random head (so the unique index sees random inserts, as with real
// GitHub GUIDs), then run and counter.
const deliveryId = () => `${randomBytes(6).toString('hex')}-${run.toString(16).padStart(2, '0')}-${(++counter).toString(16).padStart(10, '0')}`

const result = await autocannon({
  url: url!,
  connections: Number(connections),
  duration: Number(seconds),
  // autocannon paces per connection in whole requests per second.
  ...(Number(think) > 0 && { connectionRate: Math.max(1, Math.round(1000 / Number(think))) }),
  requests: [
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/044aadd',
        'x-github-event': 'push',
        'x-github-hook-id': '292430182',
        'x-hub-signature-256': process.env.BENCH_SIGNATURE!,
      },
      body,
      setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'x-github-delivery': deliveryId() } }),
    },
  ],
})
const summary = {
  requests: result.requests.total,
  durationUs: Math.round(result.duration * 1e6),
  non2xx: result.non2xx,
  connectErrors: result.errors,
  readErrors: 0,
  writeErrors: 0,
  timeouts: result.timeouts,
  p50Us: Math.round(result.latency.p50 * 1000),
  p90Us: Math.round(result.latency.p90 * 1000),
  p99Us: Math.round(result.latency.p99 * 1000),
  maxUs: Math.round(result.latency.max * 1000),
}
process.stdout.write(`BENCH_JSON ${JSON.stringify(summary)}\n`)
