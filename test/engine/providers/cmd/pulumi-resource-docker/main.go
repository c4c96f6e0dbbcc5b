// Command pulumi-resource-docker is the Pulumi resource provider plugin "docker",
// bridged from a Terraform provider (see ../../README.md).
package main

import "logging-bootstrap/test/engine/providers/internal/dockerprov"

func main() { dockerprov.Main() }
