import type { TokenService } from '../auth/tokens.ts';

/** The Node-RED user of the hub's admin: full rights in the editor. */
export interface EditorUser {
  username: string;
  permissions: '*';
}

export const EDITOR_USERNAME = 'admin';

/** The principal of a hub token, only when it is a token with the admin scope (not merely a token). */
async function adminPrincipal(tokens: TokenService, token: string): Promise<{ name: string } | undefined> {
  if (!token || /\s/.test(token)) return undefined;
  try {
    const p = await tokens.authenticate(`Bearer ${token}`);
    return p && p.scopes.includes('admin') ? p : undefined;
  } catch {
    return undefined; // unknown or revoked
  }
}

/**
 * Node-RED's adminAuth for the embedded editor: the same credentials as the admin API. There is no
 * anonymous user (no `default`): the editor runs code.
 * - The editor's login form: user `admin`, password = a hub token with the admin scope.
 * - API clients: `Authorization: Bearer <hub token with the admin scope>` (adminAuth.tokens).
 */
export function editorAuth(tokens: TokenService, sessionExpirySeconds: number) {
  return {
    type: 'credentials' as const,
    sessionExpiryTime: sessionExpirySeconds,
    users: async (username: string): Promise<EditorUser | null> => (username === EDITOR_USERNAME ? { username: EDITOR_USERNAME, permissions: '*' } : null),
    authenticate: async (username: unknown, password: unknown): Promise<EditorUser | null> => {
      if (username !== EDITOR_USERNAME || typeof password !== 'string') return null;
      return (await adminPrincipal(tokens, password)) ? { username: EDITOR_USERNAME, permissions: '*' } : null;
    },
    tokens: async (token: string): Promise<EditorUser | null> => {
      const p = await adminPrincipal(tokens, token);
      return p ? { username: p.name, permissions: '*' } : null;
    },
  };
}
