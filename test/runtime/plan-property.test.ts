/**
 * Property: whatever a spec's command words, env values and param values are, the task started by the runtime gets
 * them byte for byte — spec → compile → Compose artifact text → readComposePlan → resolveTask (interpolateCompose with
 * the run's variables). The emitter-level half is test/property/argv-roundtrip.test.ts; this is the runtime's half.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { planFromComposeText } from '../../src/runtime/plan.js';
import { resolveTask, runVariables } from '../../src/runtime/resolve.js';
import { compileCompose } from './support.js';

const literal = fc
  .string({
    unit: fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom('$', '$$', '${', '}', '{', "'", '"', '\\', ' ', '#', ': ', '%', '`', 'é', '\t'),
      },
      { weight: 2, arbitrary: fc.constantFrom('a', 'B', '1', '-', '_', '.') },
    ),
    maxLength: 12,
  })
  .filter((s) => !s.includes('{{') && !s.includes('}}'));
const paramValue = fc.string({
  unit: fc.constantFrom('$', '{', '}', '"', "'", '\\', ' ', 'x', '\n', '-', 'é'),
  maxLength: 10,
});

describe('runtime round trip', () => {
  it('command words, env values and params reach the task exactly', () => {
    fc.assert(
      fc.property(fc.array(literal, { minLength: 1, maxLength: 4 }), literal, paramValue, (words, envText, param) => {
        const spec = {
          apiVersion: 'pipewright.dev/v1',
          kind: 'Pipeline',
          metadata: { name: 'prop', version: '1.0.0', owner: 'test' },
          spec: {
            params: { p: { default: 'd' } },
            tasks: {
              t: {
                image: 'localhost/pipewright-test:1',
                command: ['run', ...words, '{{ params.p }}', `${words[0]} {{ ds }}`],
                env: { E: `${envText}|{{ params.p }}|{{ run_id }}` },
              },
            },
          },
        };
        const plan = planFromComposeText(compileCompose('prop', stringify(spec)), 'prop.compose.yaml');
        const vars = runVariables(plan, {
          logicalDate: '2024-05-06',
          runId: '20240506-00000001',
          params: { p: param },
        });
        const resolved = resolveTask(plan.tasks[0]!, vars);
        expect(resolved.argv).toEqual(['run', ...words, param, `${words[0]} 2024-05-06`]);
        expect(resolved.env.E).toBe(`${envText}|${param}|20240506-00000001`);
        expect(resolved.env.PIPEWRIGHT_PARAM_P).toBe(param);
      }),
      { numRuns: 60 },
    );
  });
});
