#!/usr/bin/env bash
# Alpine vs Debian smoke tests.  With a Docker engine: build both images from
# the packed tarball.  Without one: the host path (test/smoke/host.js) runs the
# same assertions, glibc with Node and musl through the real musl loader.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if docker info >/dev/null 2>&1; then
  echo "smoke: Docker engine found: running the container path"
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  (cd "$root" && npm pack --pack-destination "$ctx" >/dev/null)
  mv "$ctx"/tls-inspect-*.tgz "$ctx/tls-inspect.tgz"
  cp "$here/smoke.js" "$ctx/"
  for distro in debian alpine; do
    docker build -f "$here/Dockerfile.$distro" -t "tls-inspect-smoke-$distro" "$ctx"
  done
else
  echo "smoke: no Docker engine: running the host path"
  node "$here/host.js"
fi
