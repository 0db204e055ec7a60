/** `pipewright apply`: shares plan's loading and planning (src/cli/commands/plan.ts). */
export { applyCommand as command } from './plan.js';
