import type { DiagnosticCode } from '../../diagnostics/codes.js';
import { cycle } from './cycle.js';
import { duplicateEnvName } from './duplicate-env-name.js';
import { duplicatePipelineName } from './duplicate-pipeline-name.js';
import { idCollision } from './id-collision.js';
import { invalidCron } from './invalid-cron.js';
import { invalidDatasetUri } from './invalid-dataset-uri.js';
import { invalidDate } from './invalid-date.js';
import { invalidDuration } from './invalid-duration.js';
import { invalidQuantity } from './invalid-quantity.js';
import { invalidTimezone } from './invalid-timezone.js';
import { matrixTooLarge } from './matrix-too-large.js';
import { missingImage } from './missing-image.js';
import { pipelineTooLarge } from './pipeline-too-large.js';
import { plaintextSecret } from './plaintext-secret.js';
import { plaintextSecretComment } from './plaintext-secret-comment.js';
import { reservedEnvName } from './reserved-env-name.js';
import type { Rule } from './rule.js';
import { selfDependency } from './self-dependency.js';
import { unknownNeeds } from './unknown-needs.js';
import { unknownTemplateReference } from './unknown-template-reference.js';
import { unpinnedImage } from './unpinned-image.js';

/** Every semantic rule, run by validateSpecs on schema-valid documents (in code order; output is sorted anyway). */
export const RULES: Rule[] = [
  unknownNeeds,
  cycle,
  selfDependency,
  duplicatePipelineName,
  invalidCron,
  invalidTimezone,
  invalidDuration,
  invalidQuantity,
  unpinnedImage,
  plaintextSecret,
  plaintextSecretComment,
  unknownTemplateReference,
  matrixTooLarge,
  idCollision,
  missingImage,
  invalidDate,
  invalidDatasetUri,
  reservedEnvName,
  duplicateEnvName,
  pipelineTooLarge,
];

/** Rule name by code, for docs and tooling (each PW2xx code belongs to exactly one rule). */
export const RULE_BY_CODE: ReadonlyMap<DiagnosticCode, string> = new Map(
  RULES.flatMap((rule) => (rule.codes ?? []).map((code) => [code, rule.name] as const)),
);
