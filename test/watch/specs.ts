/** A small valid spec; `tag` changes the image tag so edits change every generated file. */
export function spec(name: string, tag = '1.0.0', extra = ''): string {
  return `apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: ${name}
  version: 1.0.0
  owner: data
spec:
  defaults:
    image: ghcr.io/acme/etl:${tag}
  tasks:
    extract:
      command: [python, -m, etl.extract, --date, "{{ ds }}"]
    load:
      needs: [extract]
      command: [python, -m, etl.load]
${extra}`;
}
