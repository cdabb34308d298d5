import type { MigrationStep } from '../store/sql.ts';

/**
 * The catalogue's own tables (never the core tables): items with the columns searched and sorted on,
 * their facet values, the links of a programme to its courses, the follower's cursor, and the full-text
 * index: FTS5 (unicode61, diacritics removed) on SQLite, a tsvector over unaccent()ed text on PostgreSQL.
 */
export const CATALOGUE_MIGRATIONS: readonly MigrationStep[] = [
  {
    sqlite: `
      CREATE TABLE catalogue_items (
        rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, institution TEXT NOT NULL, source_id TEXT NOT NULL,
        item_key TEXT NOT NULL, code TEXT, title_lv TEXT NOT NULL, title_en TEXT NOT NULL, sort_lv TEXT NOT NULL, sort_en TEXT NOT NULL,
        ects REAL, parent_key TEXT, term_key TEXT, record TEXT NOT NULL, seq INTEGER NOT NULL
      );
      CREATE INDEX catalogue_items_key ON catalogue_items (item_key, kind);
      CREATE INDEX catalogue_items_parent ON catalogue_items (parent_key, kind);
      CREATE INDEX catalogue_items_term ON catalogue_items (term_key, kind);
      CREATE INDEX catalogue_items_sort_lv ON catalogue_items (kind, sort_lv);
      CREATE INDEX catalogue_items_sort_en ON catalogue_items (kind, sort_en);
      CREATE TABLE catalogue_facets (rid INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL);
      CREATE INDEX catalogue_facets_value ON catalogue_facets (name, value, rid);
      CREATE INDEX catalogue_facets_rid ON catalogue_facets (rid);
      CREATE TABLE catalogue_links (rid INTEGER NOT NULL, link_key TEXT NOT NULL);
      CREATE INDEX catalogue_links_key ON catalogue_links (link_key);
      CREATE INDEX catalogue_links_rid ON catalogue_links (rid);
      CREATE TABLE catalogue_state (name TEXT PRIMARY KEY, cursor INTEGER NOT NULL);
      CREATE VIRTUAL TABLE catalogue_fts USING fts5(a, b, tokenize = 'unicode61 remove_diacritics 2');
    `,
    postgres: `
      CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
      CREATE TABLE catalogue_items (
        rid BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, institution TEXT NOT NULL, source_id TEXT NOT NULL,
        item_key TEXT NOT NULL, code TEXT, title_lv TEXT NOT NULL, title_en TEXT NOT NULL, sort_lv TEXT NOT NULL, sort_en TEXT NOT NULL,
        ects DOUBLE PRECISION, parent_key TEXT, term_key TEXT, record TEXT NOT NULL, seq BIGINT NOT NULL, tsv TSVECTOR NOT NULL
      );
      CREATE INDEX catalogue_items_key ON catalogue_items (item_key, kind);
      CREATE INDEX catalogue_items_parent ON catalogue_items (parent_key, kind);
      CREATE INDEX catalogue_items_term ON catalogue_items (term_key, kind);
      CREATE INDEX catalogue_items_sort_lv ON catalogue_items (kind, sort_lv);
      CREATE INDEX catalogue_items_sort_en ON catalogue_items (kind, sort_en);
      CREATE INDEX catalogue_items_tsv ON catalogue_items USING GIN (tsv);
      CREATE TABLE catalogue_facets (rid BIGINT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL);
      CREATE INDEX catalogue_facets_value ON catalogue_facets (name, value, rid);
      CREATE INDEX catalogue_facets_rid ON catalogue_facets (rid);
      CREATE TABLE catalogue_links (rid BIGINT NOT NULL, link_key TEXT NOT NULL);
      CREATE INDEX catalogue_links_key ON catalogue_links (link_key);
      CREATE INDEX catalogue_links_rid ON catalogue_links (rid);
      CREATE TABLE catalogue_state (name TEXT PRIMARY KEY, cursor BIGINT NOT NULL);
    `,
  },
  // Filters as words of the full-text index (fold.ts filterToken: FTS5's third column, a second tsvector
  // on PostgreSQL), and the records apart from the items, so that the rows a search walks stay small
  // (they fit SQLite's page cache). The read model is rebuilt: the follower applies the change log again.
  {
    sqlite: `
      DROP TABLE catalogue_fts; DROP TABLE catalogue_items; DELETE FROM catalogue_facets; DELETE FROM catalogue_links; DELETE FROM catalogue_state;
      CREATE TABLE catalogue_items (
        rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, institution TEXT NOT NULL, source_id TEXT NOT NULL,
        item_key TEXT NOT NULL, code TEXT, title_lv TEXT NOT NULL, title_en TEXT NOT NULL, sort_lv TEXT NOT NULL, sort_en TEXT NOT NULL,
        ects REAL, parent_key TEXT, term_key TEXT, seq INTEGER NOT NULL
      );
      CREATE INDEX catalogue_items_key ON catalogue_items (item_key, kind);
      CREATE INDEX catalogue_items_parent ON catalogue_items (parent_key, kind);
      CREATE INDEX catalogue_items_term ON catalogue_items (term_key, kind);
      CREATE INDEX catalogue_items_sort_lv ON catalogue_items (kind, sort_lv);
      CREATE INDEX catalogue_items_sort_en ON catalogue_items (kind, sort_en);
      CREATE TABLE catalogue_records (rid INTEGER PRIMARY KEY, record TEXT NOT NULL);
      CREATE VIRTUAL TABLE catalogue_fts USING fts5(a, b, c, tokenize = 'unicode61 remove_diacritics 2');
      INSERT INTO catalogue_fts (catalogue_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0, 0.0)');
    `,
    postgres: `
      DROP TABLE catalogue_items; DELETE FROM catalogue_facets; DELETE FROM catalogue_links; DELETE FROM catalogue_state;
      CREATE TABLE catalogue_items (
        rid BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, institution TEXT NOT NULL, source_id TEXT NOT NULL,
        item_key TEXT NOT NULL, code TEXT, title_lv TEXT NOT NULL, title_en TEXT NOT NULL, sort_lv TEXT NOT NULL, sort_en TEXT NOT NULL,
        ects DOUBLE PRECISION, parent_key TEXT, term_key TEXT, seq BIGINT NOT NULL, tsv TSVECTOR NOT NULL, ftsv TSVECTOR NOT NULL
      );
      CREATE INDEX catalogue_items_key ON catalogue_items (item_key, kind);
      CREATE INDEX catalogue_items_parent ON catalogue_items (parent_key, kind);
      CREATE INDEX catalogue_items_term ON catalogue_items (term_key, kind);
      CREATE INDEX catalogue_items_sort_lv ON catalogue_items (kind, sort_lv);
      CREATE INDEX catalogue_items_sort_en ON catalogue_items (kind, sort_en);
      CREATE INDEX catalogue_items_tsv ON catalogue_items USING GIN (tsv);
      CREATE INDEX catalogue_items_ftsv ON catalogue_items USING GIN (ftsv);
      CREATE TABLE catalogue_records (rid BIGINT PRIMARY KEY, record TEXT NOT NULL);
    `,
  },
];
