// Command pulumi-resource-random is the Pulumi resource provider plugin "random",
// bridged from a Terraform provider (see ../../README.md).
package main

import "logging-bootstrap/test/engine/providers/internal/randomprov"

func main() { randomprov.Main() }
