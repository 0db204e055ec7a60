// js-yaml is not our dependency: it is gitlab-ci-local's YAML reader (installed with it), used in tests to read our
// output the way GitLab tooling does. Only the two functions the tests call are declared.
declare module 'js-yaml' {
  export function load(text: string): unknown;
  export function loadAll(text: string): unknown[];
  const jsyaml: { load: typeof load; loadAll: typeof loadAll };
  export default jsyaml;
}
