// The public API for config files and provider modules: `import { defineConfig, env } from 'inhook'`.
export { defineConfig, env, type ConfigInput, type Handler, type HandlerContext, type HandlerEvent, type OrderingInput } from './config.ts'
export { PermanentError } from './worker/errors.ts'
export type { WebhookEvent } from './store/store.ts'
export * from '../providers/kit.ts'
