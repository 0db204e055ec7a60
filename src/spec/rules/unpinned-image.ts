import type { Diagnostic, Severity } from '../../diagnostics/diagnostic.js';
import type { SpecPath } from '../document.js';
import type { Rule } from './rule.js';
import { diagnostic, quote, substringRange, tasksInSourceOrder } from './support.js';

/** The grammar of github.com/distribution/reference, the one Docker, Kubernetes and GitLab runners use. */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9A-Fa-f:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Tags that name a channel rather than a release: the image behind them changes without the spec changing. */
const MOVING_TAGS = new Set([
  'stable',
  'edge',
  'nightly',
  'main',
  'master',
  'dev',
  'develop',
  'canary',
  'beta',
  'alpha',
  'rolling',
  'current',
  'lts',
  'snapshot',
  'head',
  'next',
  'unstable',
  'testing',
  'release',
  'prod',
  'production',
  'staging',
]);

export interface ImageReference {
  name: string;
  tag?: string;
  /** Offsets of the tag / digest in the reference (for positioned diagnostics). */
  tagAt?: [number, number];
  digest?: string;
  digestAt?: [number, number];
}

/** Split `registry:5000/team/app:1.2@sha256:…` into name, tag and digest; undefined when the syntax is wrong. */
export function parseImageReference(text: string): ImageReference | undefined {
  const at = text.indexOf('@');
  const rest = at === -1 ? text : text.slice(0, at);
  const ref: ImageReference = { name: rest };
  if (at !== -1) {
    ref.digest = text.slice(at + 1);
    ref.digestAt = [at + 1, text.length];
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    ref.name = rest.slice(0, colon);
    ref.tag = rest.slice(colon + 1);
    ref.tagAt = [colon + 1, rest.length];
  }
  if (ref.name.length > 255 || !NAME.test(ref.name)) return undefined;
  if (ref.tag !== undefined && !TAG.test(ref.tag)) return undefined;
  return ref;
}

interface ImageProblem {
  severity: Severity;
  message: string;
  at?: [number, number];
}

export function imageProblem(image: string): ImageProblem | undefined {
  const ref = parseImageReference(image);
  if (!ref) {
    const lower = image.toLowerCase() !== image && parseImageReference(image.toLowerCase());
    return {
      severity: 'error',
      message: lower
        ? `image ${quote(image)} is not a valid reference: repository names must be lowercase`
        : `image ${quote(image)} is not a valid reference (expected [registry/]repository:tag or repository@sha256:<64 hex digits>)`,
    };
  }
  if (ref.digest !== undefined) {
    if (!DIGEST.test(ref.digest)) {
      return {
        severity: 'error',
        message: `image ${quote(image)} has a malformed digest: expected sha256: followed by 64 lowercase hex digits`,
        ...(ref.digestAt ? { at: ref.digestAt } : {}),
      };
    }
    return undefined; // a digest pins the content whatever the tag says
  }
  if (ref.tag === undefined) {
    return {
      severity: 'error',
      message: `image ${quote(image)} is not pinned: add a version tag or an @sha256 digest (no tag means 'latest')`,
    };
  }
  const tag = ref.tag.toLowerCase();
  if (tag === 'latest') {
    return {
      severity: 'error',
      message: `image ${quote(image)} uses the moving tag 'latest': pin a version tag or an @sha256 digest`,
      ...(ref.tagAt ? { at: ref.tagAt } : {}),
    };
  }
  if (MOVING_TAGS.has(tag)) {
    return {
      severity: 'warning',
      message: `image ${quote(image)} uses ${quote(ref.tag)}, which names a channel rather than a release: pin a version tag or an @sha256 digest`,
      ...(ref.tagAt ? { at: ref.tagAt } : {}),
    };
  }
  return undefined;
}

/** PW209: images are pinned (a version tag or a digest), never `latest` or untagged. */
export const unpinnedImage: Rule = {
  name: 'unpinned-image',
  codes: ['PW209'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    const visit = (image: string | undefined, path: SpecPath) => {
      if (image === undefined) return;
      const problem = imageProblem(image);
      if (!problem) return;
      const range = problem.at ? substringRange(doc, path, image, ...problem.at) : doc.rangeOf(path);
      out.push(diagnostic(doc, range, problem.severity, 'PW209', problem.message));
    };
    visit(spec.spec.defaults?.image, ['spec', 'defaults', 'image']);
    for (const { task, path } of tasksInSourceOrder(doc, spec)) visit(task.image, [...path, 'image']);
    return out;
  },
};
