import amqp, { type ConfirmChannel, type Message, type Options } from 'amqplib';
import { BrokerPublishError } from '../../core/errors.ts';

interface ChannelState {
  open: boolean;
  /** Message ids the broker returned (mandatory and unroutable); checked when their confirm arrives. */
  returned: Set<string>;
}

const states = new WeakMap<ConfirmChannel, ChannelState>();

function stateOf(ch: ConfirmChannel): ChannelState {
  let s = states.get(ch);
  if (!s) {
    const state: ChannelState = { open: true, returned: new Set() };
    ch.on('close', () => (state.open = false));
    ch.on('return', (m: Message) => {
      const id = m.properties.messageId as string | undefined;
      if (id) state.returned.add(id);
    });
    states.set(ch, state);
    s = state;
  }
  return s;
}

/**
 * Publishes and resolves when the broker confirmed (ack); rejects with BrokerPublishError on a nack, on a
 * mandatory message that no queue took (basic.return comes before its ack), or when the channel
 * closes first. A mandatory publish needs a messageId.
 */
export function sendConfirmed(ch: ConfirmChannel, exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
  const state = stateOf(ch);
  return new Promise<void>((resolve, reject) => {
    if (!state.open) return reject(new BrokerPublishError('channel closed', 'closed'));
    const id = options.messageId;
    try {
      ch.publish(exchange, routingKey, content, options, (err: unknown) => {
        const returned = id !== undefined && state.returned.delete(id);
        if (!err && returned) reject(new BrokerPublishError(`no queue took the message (exchange '${exchange}', routing key '${routingKey}')`, 'unroutable'));
        else if (!err) resolve();
        // amqplib fails pending confirms from its own 'close' listener, which runs before ours:
        // look at the channel state once the close event is through.
        else
          queueMicrotask(() =>
            reject(state.open ? new BrokerPublishError('RabbitMQ refused the message (nack)', 'nack') : new BrokerPublishError('channel closed before RabbitMQ confirmed the message', 'closed')),
          );
      });
    } catch (e) {
      // amqplib throws IllegalOperationError on a closed or closing channel; anything else (e.g.
      // headers too large) is the caller's.
      const closed = !state.open || e instanceof amqp.IllegalOperationError;
      reject(closed ? new BrokerPublishError(e instanceof Error ? e.message : String(e), 'closed') : e);
    }
  });
}
