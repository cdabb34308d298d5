import assert from 'node:assert/strict';
import { SearchCache } from '../../src/catalogue/cache.ts';

describe('catalogue search cache', () => {
  it('answers a repeated question from memory while the generation holds, and again after a change', async () => {
    const c = new SearchCache<number>(10);
    let computed = 0;
    const compute = async () => ++computed;
    assert.equal(await c.get('q=datu', 5, compute), 1);
    assert.equal(await c.get('q=datu', 5, compute), 1, 'same generation: from memory');
    assert.equal(await c.get('q=datu', 6, compute), 2, 'a change applied: computed again');
    assert.deepEqual({ hits: c.hits, misses: c.misses }, { hits: 1, misses: 2 });
  });

  it('forgets the least recently used past its size, and keeps nothing at size 0', async () => {
    const c = new SearchCache<string>(2);
    await c.get('a', 1, async () => 'a1');
    await c.get('b', 1, async () => 'b1');
    await c.get('a', 1, async () => 'a2'); // a is now the most recent
    await c.get('c', 1, async () => 'c1'); // b goes
    assert.equal(await c.get('a', 1, async () => 'a3'), 'a1');
    assert.equal(await c.get('b', 1, async () => 'b2'), 'b2');
    const off = new SearchCache<number>(0);
    let n = 0;
    await off.get('x', 1, async () => ++n);
    assert.equal(await off.get('x', 1, async () => ++n), 2);
  });
});
