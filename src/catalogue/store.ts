import type { ChangeEvent, JsonObject } from '../core/types.ts';
import type { SqlDb } from '../store/sql.ts';
import { filterToken, fold, queryWords } from './fold.ts';
import { CATALOGUE_ENTITIES, type CatalogueFilter, type CatalogueItem, type CatalogueKind, type CatalogueQuery, type CatalogueResult, type FacetCount, type FacetName } from './model.ts';
import { project } from './project.ts';
import { CATALOGUE_MIGRATIONS } from './tables.ts';
import { SearchCache } from './cache.ts';

type ItemRow = {
  rid: number | string;
  id: string;
  kind: string;
  institution: string;
  source_id: string;
  item_key: string;
  code: string | null;
  title_lv: string;
  title_en: string;
  seq: number | string;
};

const COLUMNS = 'i.rid, i.id, i.kind, i.institution, i.source_id, i.item_key, i.code, i.title_lv, i.title_en, i.seq';

function toItem(r: ItemRow, record: string | undefined): CatalogueItem {
  return {
    id: r.id,
    kind: r.kind as CatalogueKind,
    institution: r.institution,
    sourceId: r.source_id,
    key: r.item_key,
    code: r.code ?? undefined,
    titleLv: r.title_lv,
    titleEn: r.title_en,
    record: JSON.parse(record ?? '{}') as JsonObject,
    seq: Number(r.seq),
  };
}

/**
 * Words of at least this many letters also find longer words that start with them ("zinatn" finds
 * "zinātnes", Latvian being inflected); shorter ones (in, of, 4) only themselves: as prefixes they would
 * match a large part of the index, and cost the most for the least.
 */
const PREFIX_FROM = 3;

const isCatalogueKind = (e: string): e is CatalogueKind => (CATALOGUE_ENTITIES as readonly string[]).includes(e);

/**
 * The catalogue's read model on either backend: applying committed changes (in sequence order) and
 * answering searches with filters, sorting, paging and facet counts. Written only by the follower.
 */
export class CatalogueStore {
  private readonly searches: SearchCache<CatalogueResult>;
  private readonly facetCounts: SearchCache<Record<FacetName, FacetCount[]>>;
  private known: { generation: number; at: number } | undefined;

  /** `cacheEntries`: searches (and facet counts) kept per generation of the read model; 0 keeps none. */
  constructor(
    private readonly sql: SqlDb,
    cacheEntries = 1000,
  ) {
    this.searches = new SearchCache(cacheEntries);
    this.facetCounts = new SearchCache(cacheEntries);
  }

  /** Cache hits and misses of searches since start. */
  cacheStats(): { hits: number; misses: number } {
    return { hits: this.searches.hits, misses: this.searches.misses };
  }

  /**
   * The read model's generation (the follower's cursor): known at once after a change applied in this
   * process, read again at most every 250 ms otherwise (an API-only process, whose follower runs in a worker).
   */
  private async generation(): Promise<number> {
    const now = Date.now();
    if (this.known && now - this.known.at < 250) return this.known.generation;
    this.known = { generation: await this.cursor(), at: now };
    return this.known.generation;
  }

  async migrate(): Promise<void> {
    await this.sql.migrate('catalogue', CATALOGUE_MIGRATIONS);
  }

  async cursor(): Promise<number> {
    const [r] = await this.sql.query<{ cursor: number | string }>("SELECT cursor FROM catalogue_state WHERE name = 'changes'");
    return Number(r?.cursor ?? 0);
  }

  /**
   * Applies the changes in one transaction and moves the cursor past them. Followers in several
   * processes (or a catch-up beside the follower's own pass) may read the same changes: on PostgreSQL
   * the transaction first takes the catalogue's lock, and each applies only what is after the cursor
   * it then reads, so two never write the same items at once (a deadlock) or twice.
   */
  async apply(events: readonly ChangeEvent[]): Promise<void> {
    if (!events.length) return;
    await this.sql.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.run("SELECT pg_advisory_xact_lock(hashtext('study-hub:catalogue:' || current_schema()))");
      const [r] = await tx.query<{ cursor: number | string }>("SELECT cursor FROM catalogue_state WHERE name = 'changes'");
      const done = Number(r?.cursor ?? 0);
      events = events.filter((e) => e.seq > done);
      if (!events.length) return;
      for (const e of events) if (isCatalogueKind(e.entity)) await this.applyOne(tx, e);
      const last = events[events.length - 1]!.seq;
      this.known = undefined;
      const changed = await tx.run('UPDATE catalogue_state SET cursor = ? WHERE name = ?', [last, 'changes']);
      if (!changed.changes) await tx.run('INSERT INTO catalogue_state (name, cursor) VALUES (?, ?)', ['changes', last]);
    });
  }

  /** Empties the read model (a rebuild follows the change log from sequence 0). */
  async reset(): Promise<void> {
    this.known = undefined;
    await this.sql.transaction(async (tx) => {
      for (const t of ['catalogue_items', 'catalogue_records', 'catalogue_facets', 'catalogue_links', 'catalogue_state']) await tx.run(`DELETE FROM ${t}`);
      if (tx.dialect === 'sqlite') await tx.run('DELETE FROM catalogue_fts');
    });
  }

  private async applyOne(tx: SqlDb, e: ChangeEvent): Promise<void> {
    const kind = e.entity as CatalogueKind;
    const [old] = await tx.query<{ rid: number | string; parent_key: string | null }>('SELECT rid, parent_key FROM catalogue_items WHERE id = ?', [e.recordId]);
    if (e.op === 'delete' || !e.record) {
      if (old) await this.remove(tx, old.rid);
      if (kind === 'offering' && old?.parent_key) await this.refreshTerms(tx, old.parent_key);
      return;
    }
    const p = project(kind, e.record, e.institution);
    const sourceId = typeof e.record.sourceId === 'string' ? e.record.sourceId : e.recordId;
    const key = `${e.institution}|${sourceId}`;
    const record = JSON.stringify({ ...e.record, id: e.recordId, institution: e.institution, version: e.version });
    const values = [
      e.recordId,
      kind,
      e.institution,
      sourceId,
      key,
      p.code ?? null,
      p.titleLv,
      p.titleEn,
      fold(p.titleLv),
      fold(p.titleEn),
      p.ects ?? null,
      p.parentKey ?? null,
      p.termKey ?? null,
      e.seq,
    ];
    const tokens = [filterToken('kind', kind), ...p.facets.map(([name, value]) => filterToken(name, value))];
    let rid: number | string;
    if (tx.dialect === 'postgres') {
      const tsv = "setweight(to_tsvector('simple', public.unaccent(?)), 'A') || setweight(to_tsvector('simple', public.unaccent(?)), 'B'), to_tsvector('simple', ?)";
      const [row] = await tx.query<{ rid: number | string }>(
        `INSERT INTO catalogue_items (id, kind, institution, source_id, item_key, code, title_lv, title_en, sort_lv, sort_en, ects, parent_key, term_key, seq, tsv, ftsv)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${tsv})
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, institution = EXCLUDED.institution, source_id = EXCLUDED.source_id, item_key = EXCLUDED.item_key,
           code = EXCLUDED.code, title_lv = EXCLUDED.title_lv, title_en = EXCLUDED.title_en, sort_lv = EXCLUDED.sort_lv, sort_en = EXCLUDED.sort_en,
           ects = EXCLUDED.ects, parent_key = EXCLUDED.parent_key, term_key = EXCLUDED.term_key, seq = EXCLUDED.seq, tsv = EXCLUDED.tsv, ftsv = EXCLUDED.ftsv
         RETURNING rid`,
        [...values, p.textA, p.textB, tokens.join(' ')],
      );
      rid = row!.rid;
    } else {
      await tx.run(
        `INSERT INTO catalogue_items (id, kind, institution, source_id, item_key, code, title_lv, title_en, sort_lv, sort_en, ects, parent_key, term_key, seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, institution = excluded.institution, source_id = excluded.source_id, item_key = excluded.item_key,
           code = excluded.code, title_lv = excluded.title_lv, title_en = excluded.title_en, sort_lv = excluded.sort_lv, sort_en = excluded.sort_en,
           ects = excluded.ects, parent_key = excluded.parent_key, term_key = excluded.term_key, seq = excluded.seq`,
        values,
      );
      const [row] = await tx.query<{ rid: number }>('SELECT rid FROM catalogue_items WHERE id = ?', [e.recordId]);
      rid = row!.rid;
      await tx.run('DELETE FROM catalogue_fts WHERE rowid = ?', [rid]);
      await tx.run('INSERT INTO catalogue_fts (rowid, a, b, c) VALUES (?, ?, ?, ?)', [rid, p.textA, p.textB, tokens.join(' ')]);
    }
    const stored = await tx.run('UPDATE catalogue_records SET record = ? WHERE rid = ?', [record, rid]);
    if (!stored.changes) await tx.run('INSERT INTO catalogue_records (rid, record) VALUES (?, ?)', [rid, record]);
    await tx.run('DELETE FROM catalogue_facets WHERE rid = ?', [rid]);
    for (const [name, value] of p.facets) await tx.run('INSERT INTO catalogue_facets (rid, name, value) VALUES (?, ?, ?)', [rid, name, value]);
    await tx.run('DELETE FROM catalogue_links WHERE rid = ?', [rid]);
    for (const k of p.links) await tx.run('INSERT INTO catalogue_links (rid, link_key) VALUES (?, ?)', [rid, k]);
    if (kind === 'course') await this.refreshTerms(tx, key, rid, e.recordId);
    if (kind === 'offering') {
      if (p.parentKey) await this.refreshTerms(tx, p.parentKey);
      if (old?.parent_key && old.parent_key !== p.parentKey) await this.refreshTerms(tx, old.parent_key);
    }
  }

  private async remove(tx: SqlDb, rid: number | string): Promise<void> {
    await tx.run('DELETE FROM catalogue_items WHERE rid = ?', [rid]);
    await tx.run('DELETE FROM catalogue_records WHERE rid = ?', [rid]);
    await tx.run('DELETE FROM catalogue_facets WHERE rid = ?', [rid]);
    await tx.run('DELETE FROM catalogue_links WHERE rid = ?', [rid]);
    if (tx.dialect === 'sqlite') await tx.run('DELETE FROM catalogue_fts WHERE rowid = ?', [rid]);
  }

  /** A course's term facet: the terms of its offerings (by the course's key, or an offering's id ref). */
  private async refreshTerms(tx: SqlDb, courseKey: string, rid?: number | string, id?: string): Promise<void> {
    let courseRid = rid;
    let courseId = id;
    if (courseRid === undefined) {
      const [c] = courseKey.startsWith('id:')
        ? await tx.query<{ rid: number | string; id: string }>("SELECT rid, id FROM catalogue_items WHERE id = ? AND kind = 'course'", [courseKey.slice(3)])
        : await tx.query<{ rid: number | string; id: string }>("SELECT rid, id FROM catalogue_items WHERE item_key = ? AND kind = 'course'", [courseKey]);
      if (!c) return;
      courseRid = c.rid;
      courseId = c.id;
    }
    await tx.run("DELETE FROM catalogue_facets WHERE rid = ? AND name = 'term'", [courseRid]);
    const terms = await tx.query<{ term_key: string }>("SELECT DISTINCT term_key FROM catalogue_items WHERE kind = 'offering' AND parent_key IN (?, ?) AND term_key IS NOT NULL ORDER BY term_key", [
      courseKey,
      `id:${courseId ?? ''}`,
    ]);
    for (const t of terms) await tx.run("INSERT INTO catalogue_facets (rid, name, value) VALUES (?, 'term', ?)", [courseRid, t.term_key]);
    // The filter words of the course follow its facets.
    const facets = await tx.query<{ name: string; value: string }>('SELECT name, value FROM catalogue_facets WHERE rid = ?', [courseRid]);
    const tokens = [filterToken('kind', 'course'), ...facets.map((f) => filterToken(f.name, f.value))].join(' ');
    if (tx.dialect === 'postgres') await tx.run("UPDATE catalogue_items SET ftsv = to_tsvector('simple', ?) WHERE rid = ?", [tokens, courseRid]);
    else await tx.run('UPDATE catalogue_fts SET c = ? WHERE rowid = ?', [tokens, courseRid]);
  }

  async get(kind: CatalogueKind, id: string): Promise<CatalogueItem | undefined> {
    const [r] = await this.sql.query<ItemRow>(`SELECT ${COLUMNS} FROM catalogue_items i WHERE i.id = ? AND i.kind = ?`, [id, kind]);
    return r ? (await this.withRecords([r]))[0] : undefined;
  }

  /** Items by key (institution|sourceId) or id ref ("id:…"), of one kind. */
  async byKeys(kind: CatalogueKind, keys: readonly string[]): Promise<CatalogueItem[]> {
    if (!keys.length) return [];
    const ids = keys.filter((k) => k.startsWith('id:')).map((k) => k.slice(3));
    const plain = keys.filter((k) => !k.startsWith('id:'));
    const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
    const where = [plain.length ? `i.item_key IN (${marks(plain.length)})` : '', ids.length ? `i.id IN (${marks(ids.length)})` : ''].filter(Boolean).join(' OR ');
    const rows = await this.sql.query<ItemRow>(`SELECT ${COLUMNS} FROM catalogue_items i WHERE i.kind = ? AND (${where})`, [kind, ...plain, ...ids]);
    return this.withRecords(rows);
  }

  /** The programmes whose study plan lists a course (their `courses`, kept in catalogue_links), by name. */
  async programmesOf(course: CatalogueItem, lang: 'lv' | 'en' = 'lv'): Promise<CatalogueItem[]> {
    const rows = await this.sql.query<ItemRow>(
      `SELECT ${COLUMNS} FROM catalogue_items i WHERE i.kind = 'programme' AND i.rid IN (SELECT l.rid FROM catalogue_links l WHERE l.link_key IN (?, ?)) ORDER BY ${lang === 'en' ? 'i.sort_en' : 'i.sort_lv'}, i.id`,
      [course.key, `id:${course.id}`],
    );
    return this.withRecords(rows);
  }

  /** The items of rows, with their records (read for these rows only, apart from the search). */
  private async withRecords(rows: readonly ItemRow[]): Promise<CatalogueItem[]> {
    if (!rows.length) return [];
    const recs = await this.sql.query<{ rid: number | string; record: string }>(
      `SELECT rid, record FROM catalogue_records WHERE rid IN (${rows.map(() => '?').join(', ')})`,
      rows.map((r) => r.rid),
    );
    const byRid = new Map(recs.map((r) => [String(r.rid), r.record]));
    return rows.map((r) => toItem(r, byRid.get(String(r.rid))));
  }

  /** The WHERE clause of a filter (on items `i`), and whether it searches text. */
  private async where(f: CatalogueFilter): Promise<{ from: string; where: string[]; args: unknown[]; rank: string | undefined; empty: boolean }> {
    const where = ['i.kind = ?'];
    const args: unknown[] = [f.kind];
    let from = 'catalogue_items i';
    let rank: string | undefined;
    const words = f.q ? queryWords(f.q) : [];
    if (f.q !== undefined && !words.length) return { from, where, args, rank, empty: true };
    // Filters are words of the index too (filterToken): the index intersects them with the text search.
    // Each group is one filter: any of its values (OR); the groups all hold (AND).
    const tokens: string[][] = [];
    const facet = (name: FacetName, ...values: string[]) => tokens.push(values.map((v) => filterToken(name, v)));
    if (f.institutions?.length === 1) facet('institution', f.institutions[0]!);
    else if (f.institutions?.length) {
      where.push(`i.institution IN (${f.institutions.map(() => '?').join(', ')})`);
      args.push(...f.institutions);
    }
    if (f.iscedF) facet('iscedF', f.iscedF);
    if (f.eqfLevel !== undefined) facet('eqfLevel', String(f.eqfLevel));
    if (f.levelOfStudy) facet('levelOfStudy', f.levelOfStudy);
    if (f.language) facet('language', f.language);
    if (f.mode) facet('mode', f.mode);
    if (f.openToOtherInstitutions !== undefined) facet('open', String(f.openToOtherInstitutions));
    if (f.microCredential !== undefined) facet('micro', String(f.microCredential));
    if (f.term) {
      const termKeys = await this.termKeys(f.term, f.institutions);
      if (!termKeys.length) return { from, where, args, rank, empty: true };
      if (f.kind === 'offering') {
        where.push(`i.term_key IN (${termKeys.map(() => '?').join(', ')})`);
        args.push(...termKeys);
      } else facet('term', ...termKeys);
    }
    if (f.minCredits !== undefined) {
      where.push('i.ects >= ?');
      args.push(f.minCredits);
    }
    if (f.maxCredits !== undefined) {
      where.push('i.ects <= ?');
      args.push(f.maxCredits);
    }
    if (f.code) {
      where.push('i.code = ?');
      args.push(f.code);
    }
    if (f.parent) {
      const parent = await this.get(f.parent.kind, f.parent.id);
      if (!parent) return { from, where, args, rank, empty: true };
      if (f.parent.kind === 'programme') {
        where.push('(i.parent_key IN (?, ?) OR i.item_key IN (SELECT l.link_key FROM catalogue_links l WHERE l.rid = (SELECT p.rid FROM catalogue_items p WHERE p.id = ?)))');
        args.push(parent.key, `id:${parent.id}`, parent.id);
      } else if (f.parent.kind === 'academic-term') {
        where.push('i.term_key IN (?, ?)');
        args.push(parent.key, `id:${parent.id}`);
      } else {
        where.push('i.parent_key IN (?, ?)');
        args.push(parent.key, `id:${parent.id}`);
      }
    }
    if (words.length || tokens.length) {
      const all = tokens.map((g) => (g.length === 1 ? g[0]! : `(${g.join(this.sql.dialect === 'sqlite' ? ' OR ' : ' | ')})`));
      if (this.sql.dialect === 'sqlite') {
        from = 'catalogue_fts JOIN catalogue_items i ON i.rid = catalogue_fts.rowid';
        where.push('catalogue_fts MATCH ?');
        // Words in the texts (a, b), filter words in c: a query word never matches a filter word.
        args.push(
          [words.length ? `{a b} : (${words.map((w) => (w.length >= PREFIX_FROM ? `"${w}"*` : `"${w}"`)).join(' ')})` : '', all.length ? `c : (${all.join(' ')})` : ''].filter(Boolean).join(' AND '),
        );
        // FTS5's rank column is bm25 with titles weighing 10, texts 1, filter words 0 (set in tables.ts).
        if (words.length) rank = 'catalogue_fts.rank';
      } else {
        if (all.length) {
          where.push("i.ftsv @@ to_tsquery('simple', ?)");
          args.push(all.join(' & '));
        }
        if (words.length) {
          const tsq = words.map((w) => (w.length >= PREFIX_FROM ? `${w}:*` : w)).join(' & ');
          where.push("i.tsv @@ to_tsquery('simple', ?)");
          args.push(tsq);
          rank = `-ts_rank(i.tsv, to_tsquery('simple', '${tsq}'))`;
        }
      }
    }
    return { from, where, args, rank, empty: false };
  }

  /** A term given as its hub id, or its code (every institution's term of that code, or only those of `institutions`) → their keys. */
  private async termKeys(term: string, institutions: readonly string[] | undefined): Promise<string[]> {
    const rows = await this.sql.query<{ item_key: string; institution: string }>("SELECT item_key, institution FROM catalogue_items WHERE kind = 'academic-term' AND (id = ? OR code = ?)", [
      term,
      term,
    ]);
    return rows.filter((r) => !institutions?.length || institutions.includes(r.institution)).map((r) => r.item_key);
  }

  async search(q: CatalogueQuery): Promise<CatalogueResult> {
    return this.searches.get(JSON.stringify(q), await this.generation(), () => this.searchNow(q));
  }

  private async searchNow(q: CatalogueQuery): Promise<CatalogueResult> {
    const w = await this.where(q);
    if (w.empty) return { items: [], total: 0 };
    const sortCol = q.lang === 'en' ? 'i.sort_en' : 'i.sort_lv';
    const order =
      q.sort === 'relevance' && w.rank
        ? `${w.rank}, i.rid`
        : q.sort === '-name'
          ? `${sortCol} DESC, i.id`
          : q.sort === 'id'
            ? 'i.id'
            : q.sort === '-id'
              ? 'i.id DESC'
              : q.sort === 'code'
                ? 'i.code, i.id'
                : q.sort === 'credits'
                  ? 'i.ects, i.id'
                  : q.sort === '-credits'
                    ? 'i.ects DESC, i.id'
                    : w.rank && q.sort === undefined
                      ? `${w.rank}, i.rid`
                      : `${sortCol}, i.id`;
    const sqlWhere = w.where.join(' AND ');
    const [count] = await this.sql.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${w.from} WHERE ${sqlWhere}`, w.args);
    const rows = await this.sql.query<ItemRow>(`SELECT ${COLUMNS} FROM ${w.from} WHERE ${sqlWhere} ORDER BY ${order} LIMIT ? OFFSET ?`, [...w.args, q.limit, q.offset]);
    return { items: await this.withRecords(rows), total: Number(count?.n ?? 0) };
  }

  /** Facet counts over the hits of a filter. */
  async facets(f: CatalogueFilter): Promise<Record<FacetName, FacetCount[]>> {
    return this.facetCounts.get(JSON.stringify(f), await this.generation(), () => this.facetsNow(f));
  }

  private async facetsNow(f: CatalogueFilter): Promise<Record<FacetName, FacetCount[]>> {
    const w = await this.where(f);
    const out = {} as Record<FacetName, FacetCount[]>;
    if (w.empty) return out;
    const rows = await this.sql.query<{ name: FacetName; value: string; n: number | string }>(
      `SELECT fc.name, fc.value, COUNT(*) AS n FROM catalogue_facets fc WHERE fc.rid IN (SELECT i.rid FROM ${w.from} WHERE ${w.where.join(' AND ')}) GROUP BY fc.name, fc.value ORDER BY fc.name, COUNT(*) DESC, fc.value`,
      w.args,
    );
    for (const r of rows) (out[r.name] ??= []).push({ value: r.value, count: Number(r.n) });
    return out;
  }

  async count(kind: CatalogueKind): Promise<number> {
    const [r] = await this.sql.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM catalogue_items WHERE kind = ?', [kind]);
    return Number(r?.n ?? 0);
  }
}
