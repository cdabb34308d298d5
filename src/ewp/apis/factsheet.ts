import type { Endpoint, EwpContext } from '../endpoint.ts';
import type { Factsheet, Info } from '../factsheet-file.ts';
import { el, opt, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';

function infoEl(name: string, i: Info): XmlElement {
  return el(name, {}, el('email', {}, i.email), el('p:phone-number', {}, el('p:e164', {}, i.phone)), el('website-url', {}, i.website));
}

function render(heiId: string, f: Factsheet): XmlElement {
  const cal = (name: string, t: { autumnTerm: string; springTerm: string }) => el(name, {}, el('autumn-term', {}, t.autumnTerm), el('spring-term', {}, t.springTerm));
  return el(
    'factsheet',
    {},
    el('hei-id', {}, heiId),
    el('calendar', {}, cal('student-nominations', f.calendar.studentNominations), cal('student-applications', f.calendar.studentApplications)),
    infoEl('application-info', f.applicationInfo),
    (f.additionalRequirements ?? []).map((r) => el('additional-requirement', {}, el('name', {}, r.name), el('details', {}, r.details), opt('information-website', r.website))),
    el('decision-weeks-limit', {}, f.decisionWeeksLimit),
    el('tor-weeks-limit', {}, f.torWeeksLimit),
    (f.accessibility ?? []).map((a) => el('accessibility', {}, el('type', {}, a.type), el('name', {}, a.name), opt('description', a.description), infoEl('information', a.information))),
    infoEl('housing-info', f.housingInfo),
    infoEl('visa-info', f.visaInfo),
    infoEl('insurance-info', f.insuranceInfo),
    (f.additionalInfo ?? []).map((a) => el('additional-info', {}, el('type', {}, a.type), infoEl('info', a.info))),
  );
}

/** Factsheet API 1: the served HEI's factsheet, when asked for and configured. */
async function factsheet(ctx: EwpContext): Promise<XmlElement> {
  const asked = ctx.params.ids('hei_id', ctx.node.settings.maxIds);
  const f = ctx.node.factsheets.get(ctx.hei.id);
  return el('factsheet-response', { xmlns: NS.factsheet, 'xmlns:p': NS.phone }, asked.includes(ctx.hei.id) && f ? render(ctx.hei.id, f) : undefined);
}

export const factsheetEndpoints: Endpoint[] = [{ path: 'factsheet', methods: ['GET', 'POST'], handle: factsheet }];
