import { html, type Html } from './html.ts';

/** What every page needs to render: where the console is mounted and who is signed in. */
export interface PageContext {
  base: string;
  /** The signed-in admin (absent on the login page). */
  user?: { name: string; csrf: string };
  /** Which nav entry is current. */
  section?: 'dashboard' | 'messages' | 'dead' | 'mappings' | 'metrics';
}

export interface PageOptions {
  title: string;
  /** An SSE endpoint for live values ([data-live] elements). */
  live?: string;
}

const NAV: { id: NonNullable<PageContext['section']>; path: string; label: string }[] = [
  { id: 'dashboard', path: '/', label: 'Dashboard' },
  { id: 'messages', path: '/messages', label: 'Messages' },
  { id: 'dead', path: '/dead', label: 'Dead letters' },
  { id: 'mappings', path: '/mappings', label: 'Mappings' },
  { id: 'metrics', path: '/metrics', label: 'Metrics' },
];

/** A hidden CSRF field for a form of the signed-in admin. */
export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.user?.csrf ?? ''}">`;
}

export function page(ctx: PageContext, o: PageOptions, body: Html): Html {
  const b = ctx.base;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Study-data hub admin</title>
<link rel="stylesheet" href="${b}/static/admin.css">
<script src="${b}/static/admin.js" defer></script>
</head>
<body${o.live ? html` data-live-src="${o.live}" data-login="${b}/login"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="${b}/">Study-data hub · admin</a>
  ${
    ctx.user
      ? html`<nav aria-label="Console">
    <ul>${NAV.map((n) => html`<li><a href="${b}${n.path}"${ctx.section === n.id ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul>
  </nav>
  <nav aria-label="Other tools" class="tools">
    <ul>
      <li><a href="/flows">Node-RED editor</a></li>
      <li><a href="/api/docs">API docs</a></li>
      <li><a href="/metrics" title="Prometheus endpoint; needs a token with the metrics scope">/metrics</a></li>
    </ul>
  </nav>
  <form class="logout" method="post" action="${b}/logout">${csrfField(ctx)}<span class="who">${ctx.user.name}</span> <button type="submit">Sign out</button></form>`
      : ''
  }
</header>
<main id="main" tabindex="-1">
<h1>${o.title}</h1>
${body}
</main>
</body>
</html>`;
}

/** A status word as a badge (the word itself carries the meaning; colour only helps). */
export function badge(status: string, live?: string): Html {
  return html`<span class="badge s-${status}"${live ? html` data-live="${live}"` : ''}>${status}</span>`;
}

export function notice(kind: 'error' | 'ok' | 'info', body: Html | string): Html {
  return html`<div class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${body}</div>`;
}
