import { createStore } from '../../store/index.ts';
import { TokenService } from '../../auth/tokens.ts';
import { fail, runtime } from '../runtime.ts';

/** `hub token create --name N --scope S...`: creates an API token and prints it once. */
export async function tokenCreateCommand(opts: { name: string; scope: string[] }): Promise<void> {
  try {
    const rt = runtime();
    const store = await createStore(rt.env);
    await store.migrate();
    const { id, token } = await new TokenService(store).create(opts.name, opts.scope);
    await store.close();
    console.log(`token ${id} (${opts.name}; ${opts.scope.join(' ')}):\n${token}`);
  } catch (e) {
    fail(e);
  }
}
