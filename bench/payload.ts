// The benchmark's delivery: a 2 KB GitHub-style `push` body, signed once (the delivery id travels in a
// header, outside the signed bytes, so every request can carry a unique one without re-signing).
import { createHmac } from 'node:crypto'

export const SECRET = 'bench-github-secret'
export const PAYLOAD_BYTES = 2048

/** A realistic push payload padded to exactly `bytes` bytes of JSON. */
export function githubBody(bytes = PAYLOAD_BYTES): string {
  const base = {
    ref: 'refs/heads/main',
    before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
    after: '59b20b8d5c6ff8d09518216e9a9b8f1d2f5a8c0e',
    repository: { id: 1296269, name: 'Hello-World', full_name: 'octocat/Hello-World', private: false, owner: { login: 'octocat', id: 1 }, html_url: 'https://github.com/octocat/Hello-World', default_branch: 'main' },
    pusher: { name: 'octocat', email: 'octocat@github.com' },
    sender: { login: 'octocat', id: 1, type: 'User', site_admin: false },
    head_commit: {
      id: '59b20b8d5c6ff8d09518216e9a9b8f1d2f5a8c0e',
      message: 'Update README.md',
      timestamp: '2024-05-01T12:00:00Z',
      author: { name: 'Monalisa Octocat', email: 'mona@github.com', username: 'octocat' },
      added: [], removed: [], modified: ['README.md'],
    },
    padding: '',
  }
  const without = JSON.stringify(base).length
  if (without > bytes) throw new Error(`the base payload is already ${without} bytes`)
  base.padding = 'x'.repeat(bytes - without)
  const body = JSON.stringify(base)
  if (Buffer.byteLength(body) !== bytes) throw new Error('payload size mismatch')
  return body
}

export const signGithub = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
