//go:build tools

// Keeps the Pulumi CLI's module in go.mod: the CLI is built from it by package path
// (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi), which no file here imports.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
