// Helpers that talk HTTP at the byte level (raw sockets), for what fetch will not send: lying
// Content-Length, slow headers, idle connections — and a signed GitHub delivery to send with them.
import { sign } from '@octokit/webhooks-methods'
import { connect, type Socket } from 'node:net'

/** A GitHub delivery signed with `secret` (X-Hub-Signature-256 over the exact bytes). */
export async function githubDelivery(secret: string, body: string | Buffer, delivery: string = crypto.randomUUID(), extra: Record<string, string> = {}) {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  return {
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': await signBytes(secret, bytes),
      ...extra,
    } as Record<string, string>,
    body: bytes,
  }
}

/** X-Hub-Signature-256 over raw bytes (octokit's sign() takes a string; bytes that are not UTF-8 need this). */
async function signBytes(secret: string, bytes: Buffer): Promise<string> {
  if (Buffer.from(bytes.toString('utf8')).equals(bytes)) return sign(secret, bytes.toString('utf8'))
  const { createHmac } = await import('node:crypto')
  return `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`
}

/** What came back on a raw connection: the status line's code (undefined when nothing came), the text, and whether the server closed it. */
export interface RawAnswer {
  status?: number
  text: string
  closedByServer: boolean
}

/** Opens a connection to the gateway; resolves once connected. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })
}

/**
 * Writes `parts` (with `pauseMs` between them, if any) and collects the answer until the server closes
 * the connection or `waitMs` passes. Never throws on a reset: that is an answer too.
 */
export function rawExchange(port: number, parts: (string | Buffer)[], { waitMs = 3000, pauseMs = 0 } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let text = ''
    let done = false
    const socket = connect(port, '127.0.0.1')
    const finish = (closedByServer: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text)
      resolve({ status: m ? Number(m[1]) : undefined, text, closedByServer })
    }
    const timer = setTimeout(() => finish(false), waitMs)
    socket.on('data', (d) => (text += d.toString('latin1')))
    socket.on('end', () => finish(true))
    socket.on('close', () => finish(true))
    socket.on('error', () => finish(true))
    socket.on('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0 && pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs))
        if (done || socket.destroyed) return
        socket.write(part)
      }
    })
  })
}

/** An HTTP/1.1 request head for /webhooks/<source>. */
export function requestHead(source: string, headers: Record<string, string | number>, method = 'POST'): string {
  return `${method} /webhooks/${source} HTTP/1.1\r\nhost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`
}
