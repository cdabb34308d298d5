#!/usr/bin/env bash
# `docker compose config` on docker/compose.yaml where docker compose is installed; says it skipped otherwise.
# Checks that the file is valid with a filled .env and hub.json, and that compose refuses it without .env.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! docker compose version >/dev/null 2>&1; then
  echo "compose: docker compose is not installed here; the docker compose config check is skipped (test/docker.test.ts checked the file's secrets and mounts)"
  exit 0
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cp -r docker "$dir/docker"
sed -E 's/^([A-Z][A-Z0-9_]*)=$/\1=secret-value-0123456789-0123456789/' docker/env.example > "$dir/docker/.env"
node bin/hub.mjs config init --out "$dir/docker/hub.json" >/dev/null
docker compose -f "$dir/docker/compose.yaml" config --quiet || { echo "compose: docker/compose.yaml is not valid" >&2; exit 1; }
rm "$dir/docker/.env"
if docker compose -f "$dir/docker/compose.yaml" config --quiet >/dev/null 2>&1; then
  echo "compose: without docker/.env compose should refuse the file" >&2; exit 1
fi
echo "compose: docker compose config passed"
