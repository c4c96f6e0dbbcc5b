// This file is compiled INSIDE package helper/schema of
// github.com/pulumi/terraform-plugin-sdk/v2 (the fork the terraform bridge
// replaces github.com/hashicorp/terraform-plugin-sdk/v2 with): the build script
// copies that module into .tools/engine/modsrc/terraform-plugin-sdk and adds this
// file as helper/schema/pulumishim_generate_resource_config.go.
//
// Why: the Terraform providers we bridge require terraform-plugin-go v0.31.0,
// whose tfprotov5.ProviderServer gained GenerateResourceConfig (Terraform 1.14
// `plan -generate-config-out`). The fork predates it, so its
// GRPCProviderServer no longer satisfies the interface and does not compile.
// Pulumi never calls this RPC and the server never advertises the capability,
// so answering with an error diagnostic is enough.

package schema

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
)

// GenerateResourceConfig is not supported by this build.
func (s *GRPCProviderServer) GenerateResourceConfig(
	_ context.Context, req *tfprotov5.GenerateResourceConfigRequest,
) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{
		Diagnostics: []*tfprotov5.Diagnostic{{
			Severity: tfprotov5.DiagnosticSeverityError,
			Summary:  "GenerateResourceConfig is not supported",
			Detail:   "resource type " + req.TypeName + ": this provider build does not generate configuration",
		}},
	}, nil
}
