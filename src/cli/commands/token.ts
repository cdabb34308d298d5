import { TokenService } from '../../auth/tokens.ts';
import type { HubConfig } from '../../config/types.ts';
import { ConfigError, NotFoundError, type Violation } from '../../core/errors.ts';
import { createStore } from '../../store/index.ts';
import type { Store } from '../../store/types.ts';
import { configOrDemo, fail, runtime, type Runtime } from '../runtime.ts';

/** The scopes that name something the configuration does not have (a source, a consumer, an entity). */
export function unknownScopeTargets(scopes: readonly string[], config: HubConfig, entities: readonly string[]): Violation[] {
  const known: Record<string, { what: string; ids: string[] }> = {
    ingest: { what: 'source', ids: config.sources.map((s) => s.id) },
    feed: { what: 'consumer', ids: (config.consumers ?? []).map((c) => c.id) },
    read: { what: 'entity', ids: [...entities] },
  };
  const v: Violation[] = [];
  scopes.forEach((s, i) => {
    const [kind, target] = s.split(':', 2);
    const k = kind !== undefined ? known[kind] : undefined;
    if (!k || target === undefined || target === '*' || k.ids.includes(target)) return;
    v.push({ path: `/scopes/${i}`, message: `'${s}': the config has no ${k.what} '${target}' (${k.ids.length ? `known: ${k.ids.join(', ')}` : `it has no ${k.what}s`})` });
  });
  return v;
}

async function withStore<T>(rt: Runtime, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await createStore(rt.env);
  try {
    await store.migrate();
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * `hub token create --name N --scope S...`: creates an API token and prints it once. A scope that names a
 * source, consumer or entity must name one the config has (--config, HUB_CONFIG, else the demo's).
 */
export async function tokenCreateCommand(opts: { name: string; scope: string[]; config?: string }): Promise<void> {
  try {
    const rt = runtime();
    const { config, against } = configOrDemo(rt, opts.config);
    const unknown = unknownScopeTargets(opts.scope, config, rt.schemas.entities());
    if (unknown.length) throw new ConfigError(`no token created: a scope names what ${against} does not have`, { violations: unknown });
    const { id, token } = await withStore(rt, (store) => new TokenService(store).create(opts.name, opts.scope));
    console.log(`token ${id} (${opts.name}; ${opts.scope.join(' ')}), shown once:\n${token}`);
  } catch (e) {
    fail(e);
  }
}

/** `hub token list [--json]`: every token with its scopes and dates; never a value (only hashes are stored). */
export async function tokenListCommand(opts: { json?: boolean }): Promise<void> {
  try {
    const rt = runtime();
    const tokens = await withStore(rt, (store) => store.listTokens());
    if (opts.json) {
      console.log(JSON.stringify({ items: tokens.map((t) => ({ id: t.id, name: t.name, scopes: t.scopes, createdAt: t.createdAt, revokedAt: t.revokedAt })) }, null, 2));
      return;
    }
    if (!tokens.length) {
      console.log('no tokens');
      return;
    }
    const rows = tokens.map((t) => [t.id, t.name, t.scopes.join(' '), t.createdAt.slice(0, 19).replace('T', ' '), t.revokedAt ? `revoked ${t.revokedAt.slice(0, 10)}` : 'active']);
    const head = ['id', 'name', 'scopes', 'created', 'status'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [head, ...rows])
      console.log(
        r
          .map((c, i) => c.padEnd(w[i]!))
          .join('  ')
          .trimEnd(),
      );
  } catch (e) {
    fail(e);
  }
}

/** `hub token revoke <id>`: revokes a token at once; exit 1 when there is no such active token. */
export async function tokenRevokeCommand(id: string): Promise<void> {
  try {
    const rt = runtime();
    const revoked = await withStore(rt, (store) => store.revokeToken(id));
    if (!revoked) throw new NotFoundError(`no active token ${id} (see \`hub token list\`)`);
    console.log(`token ${id} revoked`);
  } catch (e) {
    fail(e);
  }
}
