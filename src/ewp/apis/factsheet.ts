import { readFileSync } from 'node:fs';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { ConfigError } from '../../core/errors.ts';
import { toViolations } from '../../schemas/registry.ts';
import type { Endpoint, EwpContext } from '../endpoint.ts';
import { el, opt, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';

/** A HEI's factsheet as kept in its JSON file (ewp.heis[].factsheetFile); shape in docs/ewp.md. */
export interface Info {
  email: string;
  phone: string;
  website: string;
}
export interface Factsheet {
  calendar: { studentNominations: { autumnTerm: string; springTerm: string }; studentApplications: { autumnTerm: string; springTerm: string } };
  applicationInfo: Info;
  additionalRequirements?: { name: string; details: string; website?: string }[];
  decisionWeeksLimit: number;
  torWeeksLimit: number;
  accessibility?: { type: 'infrastructure' | 'service'; name: string; description?: string; information: Info }[];
  housingInfo: Info;
  visaInfo: Info;
  insuranceInfo: Info;
  additionalInfo?: { type: string; info: Info }[];
}

const info = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'phone', 'website'],
  properties: {
    email: { type: 'string', pattern: '^[^@\\s]+@[^.@\\s]+\\..+$' },
    phone: { type: 'string', pattern: '^\\+[0-9]{1,15}$', description: 'E.164, e.g. +37167034444' },
    website: { type: 'string', pattern: '^https?://' },
  },
};
const monthDay = { type: 'string', pattern: '^--(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', description: 'xs:gMonthDay, e.g. --04-15' };
const term = { type: 'object', additionalProperties: false, required: ['autumnTerm', 'springTerm'], properties: { autumnTerm: monthDay, springTerm: monthDay } };

export const FACTSHEET_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['calendar', 'applicationInfo', 'decisionWeeksLimit', 'torWeeksLimit', 'housingInfo', 'visaInfo', 'insuranceInfo'],
  properties: {
    $schema: { type: 'string' },
    calendar: { type: 'object', additionalProperties: false, required: ['studentNominations', 'studentApplications'], properties: { studentNominations: term, studentApplications: term } },
    applicationInfo: info,
    additionalRequirements: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['name', 'details'], properties: { name: { type: 'string', minLength: 1 }, details: { type: 'string', minLength: 1 }, website: { type: 'string', pattern: '^https?://' } } },
    },
    decisionWeeksLimit: { type: 'integer', minimum: 0 },
    torWeeksLimit: { type: 'integer', minimum: 0 },
    accessibility: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'name', 'information'],
        properties: { type: { enum: ['infrastructure', 'service'] }, name: { type: 'string', minLength: 1 }, description: { type: 'string' }, information: info },
      },
    },
    housingInfo: info,
    visaInfo: info,
    insuranceInfo: info,
    additionalInfo: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['type', 'info'], properties: { type: { type: 'string', minLength: 1 }, info } } },
  },
};

/** Reads and checks a factsheet file (at start: a bad file stops the hub with every problem listed). */
export function loadFactsheet(file: string, ajv: Ajv2020): Factsheet {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read the EWP factsheet ${file}: ${(e as Error).message}`);
  }
  const validate = ajv.compile(FACTSHEET_SCHEMA);
  if (!validate(data)) throw new ConfigError(`the EWP factsheet ${file} is not valid`, { violations: toViolations(validate.errors) });
  return data as unknown as Factsheet;
}

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
