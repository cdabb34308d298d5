import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as errors from '../src/core/errors.ts';
import { birthDateOf, isValidPersonalCode, makeOldPersonalCode } from '../src/core/personal-code.ts';
import { topicMatches } from '../src/broker/topic.ts';
import { retryDelay } from '../src/routing/backoff.ts';
import { locateJsonError } from '../src/pipeline/json-locate.ts';
import { deriveMessageStatus } from '../src/store/status.ts';
import { jsonDiff } from '../src/mapping/diff.ts';
import { uuidv7 } from '../src/core/ids.ts';
import { eventText, parseEvent } from '../src/core/event-text.ts';

describe('core', () => {
  it('an event read from its JSON text is written out as that text; any other event as JSON.stringify writes it', () => {
    const text = '{"eventId":"e1", "record":{"b":1,"a":[1.5,"ā"]}}';
    const read = parseEvent(text);
    assert.equal(eventText(read), text, 'the text it was read from, spaces and all');
    assert.deepEqual(JSON.parse(eventText(read)), read);
    const built = { ...read };
    assert.equal(eventText(built), JSON.stringify(built));
  });

  it('checks Latvian personal codes: old form by date and check digit, new form by prefix', () => {
    assert.equal(isValidPersonalCode('170599-11230'), true);
    assert.equal(isValidPersonalCode('17059911230'), true);
    assert.equal(isValidPersonalCode('170599-11234'), false, 'wrong check digit');
    assert.equal(isValidPersonalCode('310299-11230'), false, 'no 31 February');
    assert.equal(isValidPersonalCode('321234-56789'), true);
    assert.equal(isValidPersonalCode('1705991123'), false);
    assert.equal(birthDateOf('170599-11230'), '1999-05-17');
    for (let i = 0; i < 200; i++) {
      const c = makeOldPersonalCode(new Date(Date.UTC(1980 + (i % 30), i % 12, 1 + (i % 28))), i);
      if (c) assert.equal(isValidPersonalCode(c), true, c);
    }
  });

  it('makes UUIDv7 ids that increase within a millisecond, are unique, and carry the time asked for', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7());
    const form = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const id of ids) assert.match(id, form);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
    assert.equal(new Set(ids).size, ids.length);
    // The random part differs from id to id (the bytes are drawn from the system's generator in blocks).
    assert.equal(new Set(ids.map((id) => id.slice(-12))).size, ids.length);
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    const old = uuidv7(at);
    assert.match(old, form);
    assert.equal(parseInt(old.replace('-', '').slice(0, 12), 16), at);
  });

  it('matches AMQP topic patterns, institutions with dots included', () => {
    assert.equal(topicMatches('person.*.#', 'person.upsert.lu.lv'), true);
    assert.equal(topicMatches('*.upsert.lu.lv', 'person.upsert.lu.lv'), true);
    assert.equal(topicMatches('*.upsert.lu.lv', 'person.upsert.rtu.lv'), false);
    assert.equal(topicMatches('person.*.lu.lv', 'person.upsert'), false);
    assert.equal(topicMatches('#', 'a.b.c'), true);
    assert.equal(topicMatches('a.#.c', 'a.c'), true);
  });

  it('backs off exponentially with a cap and bounded jitter', () => {
    const p = { maxAttempts: 10, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 5000 };
    assert.equal(
      retryDelay(p, 1, () => 0.5),
      1000,
    );
    assert.equal(
      retryDelay(p, 3, () => 0.5),
      4000,
    );
    assert.equal(
      retryDelay(p, 8, () => 0.5),
      5000,
    );
    assert.equal(
      retryDelay(p, 1, () => 0),
      900,
    );
    assert.equal(
      retryDelay(p, 1, () => 1),
      1100,
    );
  });

  it('locates the first JSON syntax error', () => {
    assert.equal(locateJsonError('{"a": [1, 2,]}'), 12);
    assert.equal(locateJsonError('{"a": 1} x'), 9);
    assert.equal(locateJsonError('{"a": "\u0001"}'), 7);
    assert.equal(locateJsonError('{"a": [true, null, -1.5e3, "x\\n"]}'), -1);
  });

  it('derives a message status from its deliveries, worst first', () => {
    assert.equal(deriveMessageStatus(['delivered', 'dead', 'retrying']), 'dead');
    assert.equal(deriveMessageStatus(['delivered', 'pending']), 'published');
    assert.equal(deriveMessageStatus(['delivered', 'delivered']), 'delivered');
    assert.equal(deriveMessageStatus([]), 'published');
  });

  it('diffs JSON by pointer', () => {
    assert.deepEqual(jsonDiff({ a: [1, { b: 2 }], c: 1 }, { a: [1, { b: 3 }], d: 1 }), [
      { path: '/a/1/b', expected: 2, actual: 3 },
      { path: '/c', expected: 1, actual: undefined },
      { path: '/d', expected: undefined, actual: 1 },
    ]);
  });

  it('documents every error code in docs/errors.md, and documents no other', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const classes = (Object.entries(errors) as [string, unknown][]).filter(([, v]) => typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof errors.HubError);
    const codes = classes.map(([name, C]) => ({ name, e: new (C as new (m: string) => errors.HubError)('x') }));
    assert.ok(codes.length >= 26);
    for (const { name, e } of codes) {
      assert.ok(e instanceof errors.HubError && e.name === name, name);
      assert.match(doc, new RegExp(`\\| \`${e.code}\` \\| ${e.status} \\| ${e.retryable ? 'yes' : 'no'} \\| ${name} \\|`), `${name} ${e.code} (${e.status}) is not documented`);
    }
    assert.equal(new Set(codes.map(({ e }) => e.code)).size, codes.length, 'two classes share a code');
    const documented = [...doc.matchAll(/^\| `(HUB_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(documented.toSorted(), codes.map(({ e }) => e.code).toSorted(), 'docs/errors.md lists a code no class has');
  });

  it('raises coded HubErrors only: no module but src/core/errors.ts defines an error class', () => {
    const found: string[] = [];
    const walk = (dir: URL): void => {
      for (const d of readdirSync(dir, { withFileTypes: true })) {
        if (d.isDirectory()) walk(new URL(`${d.name}/`, dir));
        else if (/\.(ts|js|mjs)$/.test(d.name)) {
          const file = new URL(d.name, dir);
          const text = readFileSync(file, 'utf8');
          for (const m of text.matchAll(/class\s+(\w+)\s+extends\s+(\w*Error)\b/g)) {
            if (file.pathname.endsWith('/src/core/errors.ts') || m[2] !== 'Error') continue;
            found.push(`${file.pathname}: ${m[1]}`);
          }
        }
      }
    };
    for (const root of ['../src/', '../adapters/', '../flows/']) walk(new URL(root, import.meta.url));
    assert.deepEqual(found, []);
  });
});
