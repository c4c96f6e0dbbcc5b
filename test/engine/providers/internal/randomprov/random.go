package bridged

import (
	"context"
	"sort"
	"strings"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	// Not a package of the served module: the build adds it to that module with
	// `go build -overlay` (see ../../_shim/random/shim.go and build-providers.sh).
	randomshim "github.com/terraform-providers/terraform-provider-random/pulumishim"
)

// RandomVersion is the plugin version @pulumi/random 4.21.2 asks the engine for.
const RandomVersion = "4.21.2"

// RandomUpstream names the Terraform provider the random plugin is built from.
const RandomUpstream = "github.com/hashicorp/terraform-provider-random@v1.3.2-0.20260824155315-e1092b0cfc07"

// RandomInfo maps hashicorp/random (a plugin-framework provider) onto the
// tokens of @pulumi/random: random_<name> -> random:index/random<Name>:Random<Name>.
func RandomInfo(ctx context.Context) tfbridge.ProviderInfo {
	p := pfbridge.ShimProviderWithContext(ctx, randomshim.FrameworkProvider())
	info := tfbridge.ProviderInfo{
		P:                 p,
		Name:              "random",
		Version:           RandomVersion,
		Description:       "A Pulumi package to safely use randomness in Pulumi programs.",
		License:           "Apache-2.0",
		Repository:        "https://github.com/pulumi/pulumi-random",
		GitHubOrg:         "hashicorp",
		TFProviderLicense: ptr(tfbridge.MPL20LicenseType),
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
		name := "Random" + camel(strings.TrimPrefix(tf, "random_"))
		info.Resources[tf] = &tfbridge.ResourceInfo{
			Tok: tokens.Type(tokenOf("random", name)),
		}
	}
	return info
}
