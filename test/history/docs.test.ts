import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASSIFICATION_RULES } from '../../src/history/rules.js';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from './repo.js';

/**
 * docs/versioning.md cannot rot: its rule table must equal the rule data, and its example session is replayed —
 * the `<!-- example: base|head <path> -->` blocks are committed (base, then head) in a real repository with the
 * fixed identity and dates of TestRepo, then every `$ pipewright …` block must print exactly what the doc shows.
 */
const DOC_PATH = join(import.meta.dirname, '..', '..', 'docs', 'versioning.md');
const DOC = readFileSync(DOC_PATH, 'utf8');
const UPDATE = process.env.UPDATE_DOCS === '1';

function fencedAfter(marker: RegExp): { match: RegExpExecArray; body: string }[] {
  const out: { match: RegExpExecArray; body: string }[] = [];
  const re = new RegExp(`${marker.source}\\s*\\n(?<fence>\`{3,})[^\\n]*\\n([\\s\\S]*?)\\n\\k<fence>\\n`, 'g');
  for (const m of DOC.matchAll(re)) out.push({ match: m as RegExpExecArray, body: m[m.length - 1]! });
  return out;
}

describe('docs/versioning.md', () => {
  it('shows the classification table exactly as the rule data', () => {
    const bump = { breaking: 'major', minor: 'minor', patch: 'patch' } as const;
    const expected = [
      '| Rule | Severity | Bump | When |',
      '| --- | --- | --- | --- |',
      ...CLASSIFICATION_RULES.map((r) => `| \`${r.id}\` | ${r.severity} | ${bump[r.severity]} | ${r.when} |`),
    ].join('\n');
    expect(DOC).toContain(expected);
    const documented = [...DOC.matchAll(/^\| `([a-z-]+)` \| (breaking|minor|patch) \|/gm)].map((m) => [m[1], m[2]]);
    expect(documented).toEqual(CLASSIFICATION_RULES.map((r) => [r.id, r.severity]));
  });

  describe('example session', () => {
    const repo = new TestRepo();
    beforeAll(() => {
      for (const side of ['base', 'head']) {
        const files: Record<string, string> = {};
        for (const { match, body } of fencedAfter(new RegExp(`<!-- example: ${side} (\\S+) -->`)))
          files[match[1]!] = `${body}\n`;
        expect(Object.keys(files).length, `example ${side} files`).toBeGreaterThan(0);
        repo.commit(side === 'base' ? 'Add orders and revenue' : 'Orders: regional runs, drop order lines', files);
      }
    });
    afterAll(() => repo.remove());

    const sessions = fencedAfter(/<!-- example: output -->/);
    it('has sessions to replay', () => expect(sessions.length).toBeGreaterThanOrEqual(3));
    it.each(sessions.map((s) => [s.body.split('\n')[0]!, s.body]))('%s', async (_, body) => {
      const [command, ...output] = body.split('\n');
      const argv = command!.replace(/^\$ pipewright /, '').split(' ');
      const r = await runCliCapture(argv, { cwd: repo.dir });
      expect(r.stderr).toBe('');
      if (UPDATE) {
        // UPDATE_DOCS=1 rewrites the documented output from the real one (review the diff).
        const current = readFileSync(DOC_PATH, 'utf8');
        writeFileSync(DOC_PATH, current.replace(`${body}\n`, `${command}\n${r.stdout}`));
        return;
      }
      expect(r.stdout).toBe(`${output.join('\n')}\n`);
    });
  });
});
