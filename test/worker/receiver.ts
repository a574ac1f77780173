// A real HTTP destination on loopback for forwarding tests: records every request, answers as scripted.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface Reply {
  status?: number
  headers?: Record<string, string>
  body?: string
  /** Never answer (the gateway's timeout must fire). */
  hang?: boolean
  /** Answer after this long (a slow service). */
  delayMs?: number
}

export interface Receiver {
  url: string
  received: Received[]
  /** The most requests that were in flight at once. */
  maxInFlight: number
  close(): Promise<void>
}

export async function startReceiver(reply: (req: Received, index: number) => Reply | Promise<Reply> = () => ({})): Promise<Receiver> {
  const received: Received[] = []
  let inFlight = 0
  const state = { maxInFlight: 0 }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const request: Received = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) }
      const index = received.push(request) - 1
      inFlight++
      state.maxInFlight = Math.max(state.maxInFlight, inFlight)
      const r = await reply(request, index)
      if (r.hang) return
      if (r.delayMs) await new Promise((resolve) => setTimeout(resolve, r.delayMs))
      inFlight--
      res.writeHead(r.status ?? 200, r.headers).end(r.body ?? '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get maxInFlight() {
      return state.maxInFlight
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
