/**
 * Durations of the privacy options (a route's hold window): milliseconds, or ISO 8601 with weeks,
 * days, hours, minutes and seconds (`P14D`, `PT12H`, `P1DT2H30M`, `P2W`). Years and months are not
 * accepted: their length in time varies.
 */
const ISO = /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export const DEFAULT_HOLD_WINDOW_MS = 14 * 24 * 3600 * 1000;

/** The duration in milliseconds, or undefined when the value is not a duration of this form. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = ISO.exec(v);
  if (!m) return undefined;
  const [, w, d, h, min, s] = m;
  const days = Number(w ?? 0) * 7 + Number(d ?? 0);
  return Math.round(((days * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(s ?? 0) * 1000);
}
