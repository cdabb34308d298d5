import { html, type Html } from '../html.ts';
import { notice, page, type PageContext } from '../layout.ts';

export function renderLogin(ctx: PageContext, o: { csrf: string; next: string; error?: string }): Html {
  return page(
    ctx,
    { title: 'Sign in' },
    html`
${o.error ? notice('error', o.error) : ''}
<form method="post" action="${ctx.base}/login" class="login" autocomplete="off">
  <input type="hidden" name="_csrf" value="${o.csrf}">
  <input type="hidden" name="next" value="${o.next}">
  <div class="field">
    <label for="token">Admin token</label>
    <input id="token" name="token" type="password" required autocomplete="off" spellcheck="false" aria-describedby="token-hint" autofocus>
    <p id="token-hint" class="hint">The same bearer token as for the API, with the <code>admin</code> scope (<code>HUB_ADMIN_TOKEN</code>, or one made with <code>hub token create --scope admin</code>).</p>
  </div>
  <button type="submit" class="primary">Sign in</button>
</form>`,
  );
}
