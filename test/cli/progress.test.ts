import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { progress } from '../../src/cli/progress.ts';

/** A stream that says it is a terminal, and keeps what is written. */
function terminal(isTTY: boolean) {
  let text = '';
  const s = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  }) as Writable & { isTTY: boolean; columns: number; cursorTo(x: number): boolean; clearLine(): boolean; moveCursor(): boolean };
  Object.assign(s, { isTTY, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream: s as unknown as NodeJS.WriteStream, text: () => text };
}

describe('progress on a terminal', () => {
  it('draws a bar with the total on a terminal', () => {
    const t = terminal(true);
    const p = progress('export', { stream: t.stream, unit: 'entries' });
    p.total(200);
    p.update(100);
    p.update(200);
    p.stop();
    assert.match(t.text(), /export \[=+\] 100% \| 200\/200 entries/);
  });

  it('counts without a total', () => {
    const t = terminal(true);
    const p = progress('sync lu-lais', { stream: t.stream });
    p.update(42);
    p.stop();
    assert.match(t.text(), /sync lu-lais 42 records/);
  });

  it('writes nothing for a script (not a terminal, or --json)', () => {
    for (const [isTTY, json] of [
      [false, false],
      [true, true],
    ] as const) {
      const t = terminal(isTTY);
      const p = progress('x', { stream: t.stream, json });
      p.total(10);
      p.update(5);
      p.stop();
      assert.equal(t.text(), '');
    }
  });
});
