# The pipewright runner image: the npm package this repository publishes (`npm pack`), installed into Node 20 and
# nothing else. The Kubernetes CronJob runs it as `pipewright release <pipeline> --target kubernetes …`.
# For builders that can pull node:20.20-alpine from a registry:
#   docker build -t localhost/pipewright:0.1.0 .
# Without a registry (no base image to pull), scripts/build-runner-image.sh builds the same content from the host's
# node binary with `podman import` (docs/kubernetes.md, "Runner image").
FROM node:20.20-alpine AS pack
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm pack --pack-destination /pack

FROM node:20.20-alpine
COPY --from=pack /pack/ /tmp/pack/
RUN npm install --global --omit=dev /tmp/pack/pipewright-*.tgz && rm -rf /tmp/pack /root/.npm
USER node
WORKDIR /home/node
ENTRYPOINT ["pipewright"]
