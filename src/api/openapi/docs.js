/* global document, fetch, window */
/*
 * Renders /api/openapi.json readably: operations by tag (parameters, request body, responses) and the
 * component schemas (properties, types, links between them). No network beyond this hub, no CDN.
 * Everything from the document is inserted as text, never as HTML.
 */
(function () {
  'use strict';
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) if (c !== undefined && c !== null) e.append(c instanceof window.Node ? c : String(c));
    return e;
  };
  const byId = {};

  function refName(ref) {
    if (ref.startsWith('#/components/schemas/')) return ref.slice('#/components/schemas/'.length);
    const [base, frag] = ref.split('#');
    const name = Object.keys(byId).find((n) => byId[n].endsWith('/' + base.split('/').pop()));
    return name ? name + (frag ? ' ' + frag : '') : ref;
  }

  function typeOf(s) {
    if (!s || typeof s !== 'object') return el('span', {}, '');
    if (s.$ref) {
      const name = refName(s.$ref);
      return el('a', { href: '#schema-' + name.split(' ')[0] }, name);
    }
    if (s.enum) return el('code', {}, s.enum.map((x) => JSON.stringify(x)).join(' | '));
    if (s.const !== undefined) return el('code', {}, JSON.stringify(s.const));
    for (const k of ['oneOf', 'anyOf']) {
      if (s[k]) {
        const span = el('span', {});
        s[k].forEach((x, i) => span.append(i ? ' | ' : '', typeOf(x)));
        return span;
      }
    }
    const t = Array.isArray(s.type) ? s.type.join(' | ') : s.type || 'any';
    if (t === 'array' && s.items) return el('span', {}, typeOf(s.items), '[]');
    return el('code', {}, t + (s.format ? ' (' + s.format + ')' : ''));
  }

  function propsTable(s) {
    if (!s || !s.properties) return el('pre', {}, JSON.stringify(s, null, 2));
    const req = new Set(s.required || []);
    const t = el('table', {}, el('tr', {}, el('th', {}, 'field'), el('th', {}, 'type'), el('th', {}, 'description')));
    for (const [name, p] of Object.entries(s.properties)) {
      t.append(el('tr', {}, el('td', {}, el('code', {}, name), req.has(name) ? ' *' : ''), el('td', {}, typeOf(p)), el('td', { class: 'muted' }, (p && p.description) || '')));
    }
    return t;
  }

  function operation(method, path, op) {
    const open = el('details', { class: 'op' });
    const isPublic = Array.isArray(op.security) && op.security.length === 0;
    open.append(el('summary', {}, el('span', { class: 'method ' + method }, method.toUpperCase()), el('span', { class: 'path' }, path), ' ', op.summary || '', isPublic ? el('span', { class: 'public' }, 'public') : null));
    if (op.description) open.append(el('p', {}, op.description));
    if (op.parameters && op.parameters.length) {
      const t = el('table', {}, el('tr', {}, el('th', {}, 'parameter'), el('th', {}, 'in'), el('th', {}, 'type'), el('th', {}, 'description')));
      for (const p of op.parameters) t.append(el('tr', {}, el('td', {}, el('code', {}, p.name), p.required ? ' *' : ''), el('td', {}, p.in), el('td', {}, typeOf(p.schema)), el('td', { class: 'muted' }, p.description || '')));
      open.append(el('h4', {}, 'Parameters'), t);
    }
    if (op.requestBody) {
      open.append(el('h4', {}, 'Request body'));
      for (const [ct, m] of Object.entries(op.requestBody.content || {})) open.append(el('p', {}, el('code', {}, ct), ': ', typeOf(m.schema)));
    }
    const t = el('table', {}, el('tr', {}, el('th', {}, 'status'), el('th', {}, 'description'), el('th', {}, 'body')));
    for (const [status, r] of Object.entries(op.responses || {})) {
      const body = el('span', {});
      for (const [ct, m] of Object.entries(r.content || {})) body.append(el('code', {}, ct), ' ', typeOf(m.schema), ' ');
      t.append(el('tr', {}, el('td', {}, status), el('td', {}, r.description || ''), el('td', {}, body)));
    }
    open.append(el('h4', {}, 'Responses'), t);
    return open;
  }

  function render(doc) {
    document.title = doc.info.title;
    document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
    document.getElementById('description').textContent = doc.info.description || '';
    const schemas = (doc.components && doc.components.schemas) || {};
    for (const [n, s] of Object.entries(schemas)) byId[n] = s.$id || '#/components/schemas/' + n;
    const main = document.getElementById('main');
    const nav = document.getElementById('nav');
    const tags = (doc.tags || []).map((t) => t.name);
    for (const tag of tags) {
      const section = el('section', { id: 'tag-' + tag }, el('h2', {}, tag));
      const info = doc.tags.find((t) => t.name === tag);
      if (info && info.description) section.append(el('p', { class: 'muted' }, info.description));
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) if ((op.tags || [])[0] === tag) section.append(operation(method, path, op));
      }
      main.append(section);
      nav.append(el('a', { href: '#tag-' + tag }, tag));
    }
    const ss = el('section', { id: 'schemas' }, el('h2', {}, 'Schemas'));
    for (const [name, s] of Object.entries(schemas)) {
      const d = el('details', { class: 'op', id: 'schema-' + name }, el('summary', {}, el('span', { class: 'path' }, name), ' ', s.title && s.title !== name ? s.title : ''));
      if (s.description) d.append(el('p', {}, s.description));
      if (s.$id) d.append(el('p', { class: 'muted' }, el('code', {}, s.$id)));
      d.append(propsTable(s));
      if (s.properties) d.append(el('details', {}, el('summary', {}, 'JSON Schema'), el('pre', {}, JSON.stringify(s, null, 2))));
      ss.append(d);
    }
    main.append(ss);
    nav.append(el('a', { href: '#schemas' }, 'schemas'), el('a', { href: 'openapi.json' }, 'openapi.json'));
    if (window.location.hash) {
      const target = document.getElementById(window.location.hash.slice(1));
      if (target) {
        if (target.tagName === 'DETAILS') target.open = true;
        target.scrollIntoView();
      }
    }
  }

  fetch('openapi.json')
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))))
    .then(render)
    .catch((e) => {
      document.getElementById('error').textContent = 'Could not load openapi.json: ' + e.message;
    });
})();
