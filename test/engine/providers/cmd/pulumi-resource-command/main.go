// Command pulumi-resource-command is the Pulumi resource provider plugin
// "command" 4.5.0: a native implementation of command:local:Command (see
// ../../README.md).
package main

import "logging-bootstrap/test/engine/providers/internal/command"

func main() { command.Main() }
