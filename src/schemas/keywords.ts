import type { Ajv2020 } from 'ajv/dist/2020.js';
import { isValidPersonalCode } from '../core/personal-code.ts';

/** Custom formats used by the canonical schemas. */
export function registerKeywords(ajv: Ajv2020): void {
  ajv.addFormat('lv-personas-kods', { type: 'string', validate: (s: string) => isValidPersonalCode(s) });
}
