// Step 3: read the body with a hard byte limit, never buffering past it.
import type { IncomingMessage } from 'node:http'

export const TOO_LARGE = Symbol('too-large')

/** Reads a Node request body; resolves TOO_LARGE as soon as the limit is crossed (the rest is not kept). */
export function readIncoming(incoming: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const cleanup = () => {
      incoming.off('data', onData)
      incoming.off('end', onEnd)
      incoming.off('error', onError)
      incoming.off('aborted', onAborted)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        chunks.length = 0
        incoming.resume() // discard the rest; the response closes the connection
        resolve(TOO_LARGE)
      } else chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
    }
    const onError = (error: Error) => {
      cleanup()
      reject(error)
    }
    const onAborted = () => onError(new Error('request aborted'))
    incoming.on('data', onData)
    incoming.on('end', onEnd)
    incoming.on('error', onError)
    incoming.on('aborted', onAborted)
  })
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
