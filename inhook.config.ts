// The example configuration `npm start` runs. Secrets come from the environment; the defaults
// below are for local development only — set the variables in production.
import { defineConfig, env } from './src/index.ts'

export default defineConfig({
  server: { port: 8787 },
  database: { url: 'file:./data/inhook.db' },
  admin: { token: env('INHOOK_ADMIN_TOKEN', 'dev-admin-token-change-me') },
  sources: {
    github: { provider: 'github', secret: env('GITHUB_WEBHOOK_SECRET', 'dev-github-secret') },
    stripe: { provider: 'stripe', secret: env('STRIPE_WEBHOOK_SECRET', 'whsec_dev_stripe_secret') },
  },
  handlers: {
    github: {
      push: async (event, ctx) => {
        const payload = JSON.parse(event.body.toString('utf8')) as { repository?: { full_name?: string } }
        ctx.log.info({ repository: payload.repository?.full_name }, 'push received')
      },
    },
  },
})
