import { SingleBar } from 'cli-progress';

/** Progress of long work on a terminal (stderr), nothing otherwise: scripts read the summary or --json. */
export interface Progress {
  /** The known total (a bar); without one, a running count. */
  total(n: number): void;
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

const NONE: Progress = { total: () => undefined, update: () => undefined, stop: () => undefined };

/** A cli-progress bar on stderr when it is a terminal and --json was not asked for. */
export function progress(label: string, opts: { json?: boolean | undefined; unit?: string; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.json || !stream.isTTY) return NONE;
  const unit = opts.unit ?? 'records';
  let bar: SingleBar | undefined;
  let known = false;
  const start = (total: number) => {
    bar?.stop();
    bar = new SingleBar(
      {
        stream,
        format: known ? `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration_formatted}{note}` : `${label} {value} ${unit} | {duration_formatted}{note}`,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
      },
      undefined,
    );
    bar.start(total, 0, { note: '' });
  };
  return {
    total(n) {
      known = true;
      start(n);
    },
    update(done, payload) {
      if (!bar) start(0);
      if (!known && done > bar!.getTotal()) bar!.setTotal(done);
      bar!.update(
        done,
        payload
          ? {
              note: ` | ${Object.entries(payload)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')}`,
            }
          : undefined,
      );
    },
    stop() {
      bar?.stop();
    },
  };
}
