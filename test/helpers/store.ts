// A delivery as the ingest path hands it to the store, for the store's own tests.
import type { NewWebhookEvent } from '../../src/store/store.ts'

export const storeEvent = (deliveryId: string | undefined, over: Partial<NewWebhookEvent> = {}): NewWebhookEvent => ({
  source: 'github', provider: 'github', type: 'push', deliveryId, method: 'POST', path: '/webhooks/github', query: '',
  headers: [['content-type', 'application/json']], body: Buffer.from(`{"id":"${deliveryId}"}`), receivedAt: new Date(), ...over,
})
