// Package dockerprov maps the kreuzwerker docker Terraform provider onto the
// @pulumi/docker 5.2.0 SDK.
package dockerprov

import (
	"context"

	"logging-bootstrap/test/engine/providers/internal/bridged"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"

	// Not a package of the served module: ../../build-providers.sh adds it to
	// the copy of that module in .tools/engine/modsrc/docker (source: _shim/docker/shim.go).
	dockershim "github.com/terraform-providers/terraform-provider-docker/pulumishim"
)

// Version is the plugin version @pulumi/docker 5.2.0 asks the engine for.
const Version = "5.2.0"

// Upstream names the Terraform provider the docker plugin is built from.
const Upstream = "github.com/kreuzwerker/terraform-provider-docker@v0.0.0-20260916201441-96d331c98ff4"

// Info maps the kreuzwerker provider (its SDKv2 half muxed with its
// plugin-framework half, as its own main.go serves it) onto the tokens and
// property names of the @pulumi/docker 5.2.0 SDK.
func Info(ctx context.Context) tfbridge.ProviderInfo {
	sdk := shimv2.NewProvider(dockershim.SDKv2Provider(Version))
	p := pfbridge.MuxShimWithPF(ctx, sdk, dockershim.FrameworkProvider(Version))

	info := tfbridge.ProviderInfo{
		P:                 p,
		Name:              "docker",
		Version:           Version,
		Description:       "A Pulumi package for interacting with Docker in Pulumi programs",
		License:           "Apache-2.0",
		Repository:        "https://github.com/pulumi/pulumi-docker",
		GitHubOrg:         "kreuzwerker",
		TFProviderLicense: bridged.Ptr(tfbridge.MPL20LicenseType),
		MetadataInfo:      tfbridge.NewProviderMetadata(nil),
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {Default: &tfbridge.DefaultInfo{
				EnvVars: []string{"DOCKER_HOST"},
				Value:   "unix:///var/run/docker.sock",
			}},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			// The SDK calls the TF docker_image resource RemoteImage. Its name is
			// the image reference: required, never auto-named (an explicit
			// field entry keeps SetAutonaming off it).
			"docker_image": {
				Tok:    "docker:index/remoteImage:RemoteImage",
				Fields: map[string]*tfbridge.SchemaInfo{"name": {}},
			},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: "docker:index/getRemoteImage:getRemoteImage"},
		},
	}
	for tf, fields := range dockerFieldOverrides {
		r, ok := info.Resources[tf]
		if !ok {
			r = &tfbridge.ResourceInfo{}
			info.Resources[tf] = r
		}
		if r.Fields == nil {
			r.Fields = map[string]*tfbridge.SchemaInfo{}
		}
		for k, v := range fields {
			r.Fields[k] = v
		}
	}
	// Every other resource/data source: docker_foo_bar -> docker:index/fooBar:FooBar
	// (data sources: docker:index/getFooBar:getFooBar), the SDK's convention.
	info.MustComputeTokens(tokens.SingleModule("docker_", "index", tokens.MakeStandard("docker")))
	info.SetAutonaming(255, "-")
	return info
}

// dockerFieldOverrides holds the property names where the bridge's automatic
// naming differs from the @pulumi/docker 5.2.0 SDK (see names_test.go, which
// checks every resource and data source the program uses).
var dockerFieldOverrides = map[string]map[string]*tfbridge.SchemaInfo{
	"docker_container": {
		// Lists of strings / blocks the automatic pluralisation would rename.
		"command":           {Name: "command"},
		"networks_advanced": {Name: "networksAdvanced"},
	},
}

// Main serves the plugin.
func Main() {
	ctx := context.Background()
	bridged.ServeMuxed(ctx, Info(ctx))
}
