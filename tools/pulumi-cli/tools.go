//go:build tools

// Package tools pins the Pulumi CLI's module for scripts/ensure-pulumi-cli.sh: `go mod tidy`
// keeps the requirements that github.com/pulumi/pulumi/pkg/v3/cmd/pulumi needs, and the script
// then builds that package directly. This file is never compiled.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
