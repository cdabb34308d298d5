import { AsyncLocalStorage } from 'node:async_hooks';

/** The HTTP request a piece of work runs for, so that every log line written for it carries its id. */
export interface RequestContext {
  reqId: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/** pino `mixin`: adds `reqId` to every log line written while a request is handled. */
export function requestMixin(): Record<string, string> {
  const ctx = requestContext.getStore();
  return ctx ? { reqId: ctx.reqId } : {};
}
