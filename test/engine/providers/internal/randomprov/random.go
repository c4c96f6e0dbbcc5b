// Package randomprov maps the hashicorp random Terraform provider onto the
// @pulumi/random 4.21.2 SDK.
package randomprov

import (
	"context"

	"logging-bootstrap/test/engine/providers/internal/bridged"
	"sort"
	"strings"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	// Not a package of the served module: ../../build-providers.sh adds it to
	// the copy of that module in .tools/engine/modsrc/random (source: _shim/random/shim.go).
	randomshim "github.com/terraform-providers/terraform-provider-random/pulumishim"
)

// Version is the plugin version @pulumi/random 4.21.2 asks the engine for.
const Version = "4.21.2"

// Upstream names the Terraform provider the random plugin is built from.
const Upstream = "github.com/hashicorp/terraform-provider-random@v1.3.2-0.20260824155315-e1092b0cfc07"

// Info maps hashicorp/random (a plugin-framework provider) onto the
// tokens of @pulumi/random: random_<name> -> random:index/random<Name>:Random<Name>.
func Info(ctx context.Context) tfbridge.ProviderInfo {
	p := pfbridge.ShimProviderWithContext(ctx, randomshim.FrameworkProvider())
	info := tfbridge.ProviderInfo{
		P:                 p,
		Name:              "random",
		Version:           Version,
		Description:       "A Pulumi package to safely use randomness in Pulumi programs.",
		License:           "Apache-2.0",
		Repository:        "https://github.com/pulumi/pulumi-random",
		GitHubOrg:         "hashicorp",
		TFProviderLicense: bridged.Ptr(tfbridge.MPL20LicenseType),
		MetadataInfo:      tfbridge.NewProviderMetadata(nil),
		Resources:         map[string]*tfbridge.ResourceInfo{},
	}
	var names []string
	p.ResourcesMap().Range(func(key string, _ shim.Resource) bool {
		names = append(names, key)
		return true
	})
	sort.Strings(names)
	for _, tf := range names {
		name := "Random" + bridged.Camel(strings.TrimPrefix(tf, "random_"))
		info.Resources[tf] = &tfbridge.ResourceInfo{
			Tok: tokens.Type(bridged.TokenOf("random", name)),
		}
	}
	return info
}

// Main serves the plugin.
func Main() {
	ctx := context.Background()
	bridged.ServePF(ctx, Info(ctx))
}
