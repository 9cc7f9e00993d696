#!/usr/bin/env bash
# Installs the pinned schemathesis (the contract fuzzer of test/contract/fuzz.test.ts) from PyPI into a
# virtualenv under .venv/ (ignored by git), unless that exact version is already there. Needs python3
# with venv; prints the path of the `st` executable.
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.32.5
venv=.venv/schemathesis
if [ "$("$venv/bin/st" --version 2>/dev/null || true)" != "st, version $version" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version" >&2
fi
"$venv/bin/st" --version >&2
echo "$PWD/$venv/bin/st"
