import type { Rule } from './rule.js';

/** Every semantic rule, run by validateSpecs on schema-valid documents. */
export const RULES: Rule[] = [];
