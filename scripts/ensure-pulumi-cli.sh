#!/usr/bin/env bash
# Provides the Pulumi CLI at exactly the version of @pulumi/pulumi pinned in package.json.
# Uses a `pulumi` on PATH when its version matches; otherwise builds the real CLI from the
# Go module proxy through tools/pulumi-cli (a wrapper module, because the CLI's own go.mod has
# replace directives that make `go install ...@v` fail) into a cache outside the repo.
# Prints the directory that holds bin/pulumi on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
version=$(node -p "require('$here/package.json').dependencies['@pulumi/pulumi'].replace(/^[^0-9]*/, '')")
cache=${TRAILWARDEN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/trailwarden}
root="$cache/pulumi-cli/v$version"

if command -v pulumi >/dev/null 2>&1; then
  found=$(pulumi version 2>/dev/null || true)
  if [ "$found" = "v$version" ]; then
    echo "pulumi v$version found on PATH" >&2
    dirname "$(dirname "$(command -v pulumi)")"
    exit 0
  fi
fi

if [ -x "$root/bin/pulumi" ] && [ "$("$root/bin/pulumi" version 2>/dev/null)" = "v$version" ]; then
  echo "pulumi v$version cached in $root" >&2
  echo "$root"
  exit 0
fi

command -v go >/dev/null || { echo "ensure-pulumi-cli: go is required to build the Pulumi CLI v$version" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/tools/pulumi-cli/tools.go" "$work/"
cd "$work"
go mod init trailwarden.local/pulumi-cli >/dev/null 2>&1
go mod edit -require="github.com/pulumi/pulumi/pkg/v3@v$version" -require="github.com/pulumi/pulumi/sdk/v3@v$version"
# Copy pkg/go.mod's non-local replace directives (the local ../sdk one is satisfied by the require above).
pkgmod=$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$version" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.GoMod)})')
go mod edit -json "$pkgmod" | node -e '
let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
  for (const r of JSON.parse(s).Replace ?? []) {
    if (r.New.Path.startsWith(".") || r.New.Path.startsWith("/")) continue;
    const o = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
    const n = r.New.Version ? `${r.New.Path}@${r.New.Version}` : r.New.Path;
    console.log(`-replace=${o}=${n}`);
  }
})' | xargs -r go mod edit
go mod tidy >&2
start=$(date +%s)
echo "building pulumi v$version from the Go module proxy (cold builds take several minutes)..." >&2
mkdir -p "$root/bin"
go build -trimpath -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
  -o "$root/bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
mv "$root/bin/pulumi.tmp" "$root/bin/pulumi"
echo "built pulumi $("$root/bin/pulumi" version) in $(( $(date +%s) - start ))s into $root" >&2
echo "$root"
