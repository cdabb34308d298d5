import type Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a run wrote, counted: row changes on SQLite connections (total_changes(): inserts, updates and
 * deletes), rows left in their tables, bytes the process handed to write() (/proc/self/io wchar: the
 * WAL, checkpoints and any file the process appends to) and the size of the files left on disk.
 */

/** Bytes this process has passed to write() so far (Linux); undefined elsewhere. */
export function processWrites(): number | undefined {
  if (!existsSync('/proc/self/io')) return undefined;
  const m = /^wchar:\s*(\d+)/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return m ? Number(m[1]) : undefined;
}

export function totalChanges(db: Database.Database): number {
  return (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
}

/** Rows in every table of a database (a census by name from sqlite_master, whatever the tables are). */
export function census(db: Database.Database): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]) {
    const n = (db.prepare(`SELECT COUNT(*) AS n FROM "${name.replaceAll('"', '""')}"`).get() as { n: number }).n;
    if (n) out[name] = n;
  }
  return out;
}

/** Checkpoints the WAL into the database file and empties it (the bytes on disk are then the data's). */
export function checkpoint(db: Database.Database): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
}

/** Bytes of the SQLite files (database, WAL, shared memory) in a directory. */
export function sqliteBytes(dir: string): number {
  return readdirSync(dir)
    .filter((f) => /\.(sqlite|db)(-wal|-shm)?$/.test(f))
    .reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

export const COUNTRY_RECORDS = 3_150_000;

/**
 * CPU time (ms, user + system) used so far by the processes of this machine whose command is
 * `postgres` (the server and its backends; an ended backend's time is lost) and `beam.smp`
 * (RabbitMQ), from /proc; undefined where there is no /proc.
 */
/** Clock ticks a second of /proc's times (Linux's USER_HZ, 100 on every architecture Node.js runs on). */
const USER_HZ = 100;

export function serverCpuMs(): { postgres: number; rabbitmq: number } | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const out = { postgres: 0, rabbitmq: 0 };
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const key = comm === 'postgres' ? 'postgres' : comm === 'beam.smp' ? 'rabbitmq' : undefined;
    if (!key) continue;
    // Fields after the command: state is the 3rd field of the line, utime and stime the 14th and 15th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out[key] += ((Number(f[11]) + Number(f[12])) * 1000) / USER_HZ;
  }
  return out;
}
