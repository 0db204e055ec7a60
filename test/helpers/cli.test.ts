import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/cli/main.js';
import { runCliCapture } from './cli.js';

describe('runCliCapture', () => {
  it('captures stdout and the exit code of the real entry point', async () => {
    const result = await runCliCapture(['--version']);
    expect(result).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});
