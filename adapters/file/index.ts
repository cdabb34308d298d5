import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { AdapterContext, Sink, SinkType } from '../../src/core/adapter.ts';
import { SinkError } from '../../src/core/errors.ts';
import type { ChangeEvent } from '../../src/core/types.ts';

export type FileSinkOptions = {
  /** File to append to; relative paths are under the data dir. */
  path: string;
};

/** Appends each change event as one JSON line. The event id makes re-appends detectable downstream. */
export class FileSink implements Sink {
  private ready: Promise<unknown> | undefined;

  constructor(readonly path: string) {}

  async deliver(event: ChangeEvent): Promise<void> {
    this.ready ??= mkdir(dirname(this.path), { recursive: true });
    try {
      await this.ready;
      await appendFile(this.path, `${JSON.stringify(event)}\n`, 'utf8');
    } catch (e) {
      throw new SinkError(`cannot append to ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }
}

export const fileSink: SinkType<FileSinkOptions> = {
  type: 'file',
  description: 'Appends change events as JSON lines to a file.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: { path: { type: 'string', minLength: 1, description: 'File path; relative to the data dir.' } },
  },
  create(o: FileSinkOptions, ctx: AdapterContext): Sink {
    return new FileSink(isAbsolute(o.path) ? o.path : join(ctx.dataDir, o.path));
  },
};
