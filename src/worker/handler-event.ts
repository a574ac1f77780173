// The event a handler receives: the stored event plus lazy body helpers. The stored shape is unchanged.
import type { HandlerEvent } from '../config.ts'
import type { WebhookEvent } from '../store/store.ts'
import { PermanentError } from './errors.ts'

const decoder = new TextDecoder()

/** Adds `text()`, `json()` and `form()` to a stored event (non-enumerable, each computed once). */
export function toHandlerEvent(event: WebhookEvent): HandlerEvent {
  let text: string | undefined
  let json: { value: unknown } | { error: PermanentError } | undefined
  let form: URLSearchParams | undefined
  const readText = () => (text ??= decoder.decode(event.body))
  const helpers: PropertyDescriptorMap = {
    text: { value: readText },
    json: {
      value() {
        if (!json) {
          try {
            json = { value: JSON.parse(readText()) }
          } catch (error) {
            const type = event.headers.find(([name]) => name === 'content-type')?.[1]
            json = { error: new PermanentError(`the body is not JSON (${(error as Error).message}; content-type ${type ?? 'not given'})`) }
          }
        }
        if ('error' in json) throw json.error
        return json.value
      },
    },
    form: { value: () => (form ??= new URLSearchParams(readText())) },
  }
  return Object.defineProperties({ ...event }, helpers) as HandlerEvent
}
