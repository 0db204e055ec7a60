import type { Rule } from './rule.js';
import { diagnostic, didYouMean, quote } from './support.js';

const PATH = ['spec', 'timezone'] as const;

let zones: Set<string> | undefined;
/** ICU's canonical zone names plus UTC (which Node 20 does not list). */
function knownZones(): Set<string> {
  zones ??= new Set(['UTC', ...Intl.supportedValuesOf('timeZone')]);
  return zones;
}

/** `Area/Location` with the capitalisation tzdata uses (file names on case-sensitive systems). */
const AREA_LOCATION = /^[A-Z][A-Za-z_]*(?:\/[A-Z][A-Za-z0-9_+-]*)+$/;

/**
 * Whether `name` is an IANA time zone every target resolves the same way: a canonical ICU zone, UTC, or a tzdata
 * link such as Asia/Kolkata or US/Eastern (accepted by Intl, written exactly as tzdata spells it). Abbreviations
 * (EST, CET) and offsets are ambiguous or not portable and are rejected.
 */
export function isValidTimeZone(name: string): boolean {
  if (knownZones().has(name)) return true;
  if (!AREA_LOCATION.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** PW206: `spec.timezone` must be an IANA time zone. */
export const invalidTimezone: Rule = {
  name: 'invalid-timezone',
  codes: ['PW206'],
  check({ doc, spec }) {
    const tz = spec.spec.timezone;
    if (tz === undefined || isValidTimeZone(tz)) return [];
    return [
      diagnostic(
        doc,
        doc.rangeOf(PATH),
        'error',
        'PW206',
        `time zone ${quote(tz)} is unknown: use an IANA name such as Europe/Berlin or UTC${didYouMean(tz, [...knownZones()].sort())}`,
      ),
    ];
  },
};
