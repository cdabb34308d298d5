import type { ChangeEvent } from './types.ts';

/**
 * The JSON text an event was read from, kept beside the parsed event so that whoever writes it out
 * again (the embedded broker putting the relay's batch on its queues) does not serialize it a second
 * time. Only for events read and not changed afterwards: the outbox relay hands the store's events to
 * the broker as they are.
 */
const texts = new WeakMap<ChangeEvent, string>();

/** The event parsed from `text`, remembered with it. */
export function parseEvent(text: string): ChangeEvent {
  const e = JSON.parse(text) as ChangeEvent;
  texts.set(e, text);
  return e;
}

/** The event's JSON text: the text it was parsed from, else JSON.stringify's. */
export function eventText(e: ChangeEvent): string {
  return texts.get(e) ?? JSON.stringify(e);
}
