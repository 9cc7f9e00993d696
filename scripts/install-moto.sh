#!/usr/bin/env bash
# Installs the pinned moto server (a local S3 endpoint for the Pulumi state backend in
# test/engine/s3-backend.test.ts and test/cluster/) from PyPI into a virtualenv under .venv/ (ignored by
# git), unless that exact version is already there. Needs python3 with venv; prints the path of
# `moto_server`. Only the S3 part is needed, so only the `server` and `s3` extras are installed.
set -euo pipefail
cd "$(dirname "$0")/.."
version=5.2.5
venv=.venv/moto
if [ "$("$venv/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null || true)" != "$version" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server,s3]==$version" >&2
fi
"$venv/bin/python" -c 'import moto; print("moto", moto.__version__)' >&2
echo "$PWD/$venv/bin/moto_server"
