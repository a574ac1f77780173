// Step 3: read the body with a hard byte limit, never buffering past it.
import type { IncomingMessage } from 'node:http'

export const TOO_LARGE = Symbol('too-large')

/** Reads a Node request body; resolves TOO_LARGE as soon as the limit is crossed (the rest is not kept). */
export function readIncoming(incoming: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => void new IncomingReader(incoming, limit, resolve, reject))
}

// A class rather than closures: the loader (tsx, esbuild keepNames) wraps every named closure in a
// per-call Object.defineProperty of its name, five of them per request here; methods are named once.
class IncomingReader {
  private chunks: Buffer[] = []
  private size = 0
  private readonly onData: (chunk: Buffer) => void
  private readonly onEnd: () => void
  private readonly onError: (error: Error) => void
  private readonly onAborted: () => void

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly limit: number,
    private readonly resolve: (value: Buffer | typeof TOO_LARGE) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.onData = this.data.bind(this)
    this.onEnd = this.end.bind(this)
    this.onError = this.error.bind(this)
    this.onAborted = this.aborted.bind(this)
    incoming.on('data', this.onData)
    incoming.on('end', this.onEnd)
    incoming.on('error', this.onError)
    incoming.on('aborted', this.onAborted)
  }

  private cleanup() {
    this.incoming.off('data', this.onData)
    this.incoming.off('end', this.onEnd)
    this.incoming.off('error', this.onError)
    this.incoming.off('aborted', this.onAborted)
  }

  private data(chunk: Buffer) {
    this.size += chunk.length
    if (this.size > this.limit) {
      this.cleanup()
      this.chunks.length = 0
      this.incoming.resume() // discard the rest; the response closes the connection
      this.resolve(TOO_LARGE)
    } else this.chunks.push(chunk)
  }

  private end() {
    this.cleanup()
    this.resolve(this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size))
  }

  private error(error: Error) {
    this.cleanup()
    this.reject(error)
  }

  private aborted() {
    this.error(new Error('request aborted'))
  }
}

/** Reads a web stream body (in-process `app.request()`), with the same limit. */
export async function readStream(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  if (!stream) return Buffer.alloc(0)
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      return TOO_LARGE
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}
