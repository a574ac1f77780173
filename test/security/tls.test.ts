// server.tls: inhook serves HTTPS directly, with a certificate given as PEM text or as file paths.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, resolveConfig } from '../../src/config.ts'
import { startTestGateway, tempDir } from '../helpers/gateway.ts'
import { githubDelivery, rawExchange } from '../helpers/wire.ts'

const SECRET = 'tls-test-secret'

/** A self-signed certificate for 127.0.0.1, made by openssl for this run. */
function selfSigned(dir: string): { certFile: string; keyFile: string; cert: string; key: string } {
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' })
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }
}

function post(url: string, ca: string, delivery: { headers: Record<string, string>; body: Buffer }): Promise<{ status: number; body: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'POST', headers: delivery.headers, ca }, (res) => {
      let body = ''
      const authorized = (res.socket as TLSSocket).authorized
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body, authorized }))
    })
    req.on('error', reject)
    req.end(delivery.body)
  })
}

describe('HTTPS (server.tls)', () => {
  const { dir, cleanup } = tempDir('inhook-tls-')
  let pem: ReturnType<typeof selfSigned>
  beforeAll(() => {
    pem = selfSigned(dir)
  })
  afterAll(cleanup)

  it('serves HTTPS with a certificate given as file paths, and stores what it acknowledges', async () => {
    const gw = await startTestGateway({ server: { tls: { cert: pem.certFile, key: pem.keyFile } }, sources: { github: { provider: 'github', secret: SECRET } } })
    try {
      expect(gw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      const res = await post(`${gw.url}/webhooks/github`, pem.cert, await githubDelivery(SECRET, '{"tls":true}', 'tls-1'))
      expect(res).toMatchObject({ status: 200, authorized: true })
      const stored = (await gw.store.list({})).items
      expect(stored.map((e) => e.deliveryId)).toEqual(['tls-1'])
    } finally {
      await gw.close()
    }
  })

  it('serves HTTPS with the certificate given as PEM text, and refuses plain HTTP on that port', async () => {
    const gw = await startTestGateway({ server: { tls: { cert: pem.cert, key: pem.key } }, sources: { github: { provider: 'github', secret: SECRET } } })
    try {
      expect((await post(`${gw.url}/webhooks/github`, pem.cert, await githubDelivery(SECRET, '{}', 'tls-2'))).status).toBe(200)
      const plain = await rawExchange(gw.port, ['POST /webhooks/github HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}'], { waitMs: 2000 })
      expect(plain.text).not.toMatch(/^HTTP\/1\.1 200/)
      expect((await gw.store.list({})).items).toHaveLength(1)
    } finally {
      await gw.close()
    }
  })

  it('says which file it cannot read, and never echoes a key', async () => {
    const missing = join(dir, 'nope.pem')
    const notPem = join(dir, 'not.pem')
    writeFileSync(notPem, 'hello')
    const error = await resolveConfig({ server: { tls: { cert: missing, key: notPem } }, sources: {} }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues).toEqual([
      expect.stringMatching(/^server\.tls\.cert: .*cannot read .*nope\.pem/),
      expect.stringMatching(/^server\.tls\.key: .*not\.pem holds no PEM private key/),
    ])
  })
})
