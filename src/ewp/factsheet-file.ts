import { readFileSync } from 'node:fs';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { ConfigError } from '../core/errors.ts';
import { toViolations } from '../schemas/registry.ts';

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
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'details'],
        properties: { name: { type: 'string', minLength: 1 }, details: { type: 'string', minLength: 1 }, website: { type: 'string', pattern: '^https?://' } },
      },
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
