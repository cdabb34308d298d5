/**
 * Every adapter the hub knows, in one visible place: name, options schema and factory.
 * The core never imports an adapter; the CLI hands this registry to the hub.
 */
import type { AdapterRegistry } from '../src/core/adapter.ts';
import { csvSource } from './csv/index.ts';
import { edcSink } from './edc/index.ts';
import { ewpCnrSink } from './ewp/index.ts';
import { fileSink } from './file/index.ts';
import { isisSource } from './isis/index.ts';
import { laisSource } from './lais/index.ts';
import { viisSink } from './viis/index.ts';
import { webhookSink } from './webhook/index.ts';

export const adapters: AdapterRegistry = {
  sinks: [fileSink, webhookSink, viisSink, ewpCnrSink, edcSink],
  sources: [laisSource, isisSource, csvSource],
};
