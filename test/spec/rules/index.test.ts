import { describe, expect, it } from 'vitest';
import { CODES, type DiagnosticCode } from '../../../src/diagnostics/codes.js';
import { RULE_BY_CODE, RULES } from '../../../src/spec/rules/index.js';

describe('rule registry', () => {
  it('maps every PW2xx code to exactly one rule named after the code', () => {
    const semantic = (Object.keys(CODES) as DiagnosticCode[]).filter((c) => c.startsWith('PW2'));
    const owned = RULES.flatMap((r) => r.codes ?? []);
    expect([...owned].sort()).toEqual(semantic);
    for (const code of semantic) expect(RULE_BY_CODE.get(code)).toBe(CODES[code]);
  });

  it('has unique kebab-case names and at least one check per rule', () => {
    const names = RULES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of RULES) {
      expect(rule.name).toMatch(/^[a-z]+(?:-[a-z]+)*$/);
      expect(rule.check ?? rule.checkAll).toBeTypeOf('function');
    }
  });
});
