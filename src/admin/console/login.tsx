import type { FC } from 'hono/jsx'
import { Flash, Layout, type PageContext } from './layout.tsx'

export const LoginPage: FC<{ page: PageContext; next: string; error?: string }> = ({ page, next, error }) => (
  <Layout title="Log in" page={page}>
    <div class="login card">
      <h1>Log in</h1>
      <Flash message={error} bad />
      <form method="post" action="/ui/login">
        <input type="hidden" name="next" value={next} />
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        <button class="primary" type="submit">
          Log in
        </button>
      </form>
      <p class="muted">
        The token is <code>admin.token</code> in the config, or the one printed by <code>inhook serve</code> when none is set.
      </p>
    </div>
  </Layout>
)
