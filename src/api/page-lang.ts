import type { Request } from 'express';

/**
 * The language of a public page (catalogue, /verify, the EMREX and learner pages): the one asked for
 * (`?lang=` or a form's `lang`, as the caller passes it) when it is lv or en, else the browser's
 * Accept-Language between the two, Latvian by default.
 */
export function pageLang(req: Request, asked?: unknown): 'lv' | 'en' {
  if (asked === 'lv' || asked === 'en') return asked;
  return req.acceptsLanguages('lv', 'en') === 'en' ? 'en' : 'lv';
}
