import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EnvSettings } from '../config/env.ts';
import { EmbeddedBroker } from './embedded/broker.ts';
import type { Broker } from './types.ts';

/** The broker the environment selects: RabbitMQ when AMQP_URL is set, else the embedded one. */
export async function createBroker(env: Pick<EnvSettings, 'amqpUrl' | 'dataDir' | 'amqpPrefix'>, logger?: Logger): Promise<Broker> {
  if (env.amqpUrl) {
    const { AmqpBroker } = await import('./amqp/broker.ts');
    return new AmqpBroker(env.amqpUrl, { ...(logger ? { logger } : {}), ...(env.amqpPrefix ? { prefix: env.amqpPrefix } : {}) });
  }
  return new EmbeddedBroker(join(env.dataDir, 'broker.sqlite'));
}
