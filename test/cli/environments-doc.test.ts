/**
 * docs/environments.md's reviewer walk-through cannot rot: its `<!-- walkthrough: file <path> -->` blocks are written
 * into a real temporary git repository (fixed identity and dates: TestRepo), then every `<!-- walkthrough: session -->`
 * console block is replayed in order — `$ git …` through git, `$ pipewright …` through the CLI entry point — and each
 * command must exit 0 and print exactly the lines that follow it in the doc.
 * UPDATE_DOCS=1 rewrites the documented outputs from the real ones instead (review the diff).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCapture } from '../helpers/cli.js';
import { TestRepo } from '../history/repo.js';

const DOC_PATH = join(import.meta.dirname, '..', '..', 'docs', 'environments.md');
const UPDATE = process.env.UPDATE_DOCS === '1';

interface Step {
  command: string;
  output: string;
}

function blocks(doc: string, kind: RegExp): { match: RegExpExecArray; body: string; start: number }[] {
  const re = new RegExp(`${kind.source}\\s*\\n\`\`\`[^\\n]*\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  return [...doc.matchAll(re)].map((m) => ({
    match: m as RegExpExecArray,
    body: m[m.length - 1]!,
    start: m.index + m[0].length - 3 - m[m.length - 1]!.length,
  }));
}

function steps(body: string): Step[] {
  const out: Step[] = [];
  for (const line of body.split('\n').slice(0, -1)) {
    if (line.startsWith('$ ')) out.push({ command: line.slice(2), output: '' });
    else out[out.length - 1]!.output += `${line}\n`;
  }
  return out;
}

/** Shell-like words: spaces separate, double quotes group (no escapes needed in the doc). */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe('docs/environments.md walk-through', () => {
  const doc = readFileSync(DOC_PATH, 'utf8');
  const repo = new TestRepo();
  afterAll(() => repo.remove());

  it('replays every command with the documented output', async () => {
    const files = blocks(doc, /<!-- walkthrough: file (\S+) -->/);
    expect(files.map((f) => f.match[1])).toEqual(['pipewright.yaml', 'pipelines/orders.yaml']);
    repo.write(Object.fromEntries(files.map((f) => [f.match[1]!, f.body])));
    const sessions = blocks(doc, /<!-- walkthrough: session -->/);
    expect(sessions.length).toBe(4);
    const replays: string[] = [];
    for (const session of sessions) {
      let replayed = '';
      for (const step of steps(session.body)) {
        let output: string;
        if (step.command.startsWith('git ')) {
          output = repo.git(...words(step.command).slice(1));
        } else {
          expect(step.command.startsWith('pipewright ')).toBe(true);
          const r = await runCliCapture(words(step.command).slice(1), { cwd: repo.dir });
          expect(r.stderr, step.command).toBe('');
          expect(r.code, step.command).toBe(0);
          output = r.stdout;
        }
        if (!UPDATE) expect(output, step.command).toBe(step.output);
        replayed += `$ ${step.command}\n${output}`;
      }
      replays.push(replayed);
    }
    if (UPDATE) {
      let updated = doc;
      // from the last block back, so earlier offsets stay valid
      for (let i = sessions.length - 1; i >= 0; i--) {
        const s = sessions[i]!;
        updated = updated.slice(0, s.start) + replays[i]! + updated.slice(s.start + s.body.length);
      }
      writeFileSync(DOC_PATH, updated);
    }
    // the promotion is in the repository: prod's tag changed, its comment kept
    expect(readFileSync(join(repo.dir, 'pipewright.yaml'), 'utf8')).toContain(
      'imageTag: "1.3.0"           # what staging ran last week',
    );
  });
});
