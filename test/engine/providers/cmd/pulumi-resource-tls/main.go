// Command pulumi-resource-tls is the Pulumi resource provider plugin "tls",
// hashicorp/tls bridged onto the @pulumi/tls 5.6.1 SDK (see ../../README.md).
package main

import (
	"context"
	"sort"
	"strings"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"logging-bootstrap/test/engine/providers/internal/bridged"

	// Not a package of the served module: ../../../build-providers.sh adds it to
	// the copy of that module in .tools/engine/modsrc/tls (source: _shim/tls/shim.go).
	tlsshim "github.com/hashicorp/terraform-provider-tls/pulumishim"
)

// Version is the plugin version @pulumi/tls 5.6.1 asks the engine for
// (package.json pulumi.version).
const Version = "5.6.1"

// Upstream names the Terraform provider the plugin is built from.
const Upstream = "github.com/hashicorp/terraform-provider-tls@v1.2.1-0.20260819085117-d044ca7c6f52"

// ResourceToken maps a Terraform resource name to the @pulumi/tls token:
// tls_private_key -> tls:index/privateKey:PrivateKey.
func ResourceToken(tf string) string {
	return bridged.TokenOf("tls", bridged.Camel(strings.TrimPrefix(tf, "tls_")))
}

// DataSourceToken maps a Terraform data source name to the @pulumi/tls
// function token: tls_certificate -> tls:index/getCertificate:getCertificate.
func DataSourceToken(tf string) string {
	name := "get" + bridged.Camel(strings.TrimPrefix(tf, "tls_"))
	return "tls:index/" + name + ":" + name
}

// Info maps hashicorp/tls (a plugin-framework provider) onto @pulumi/tls.
// Property names are the bridge's automatic ones; the single-item blocks
// (subject, the provider's proxy) are objects because their list validators
// allow at most one element, as in the SDK. The provider's ephemeral
// resources have no Pulumi counterpart in the SDK and are not mapped.
func Info(ctx context.Context) tfbridge.ProviderInfo {
	p := pfbridge.ShimProviderWithContext(ctx, tlsshim.FrameworkProvider())
	info := tfbridge.ProviderInfo{
		P:                 p,
		Name:              "tls",
		Version:           Version,
		Description:       "A Pulumi package to create TLS resources in Pulumi programs.",
		License:           "Apache-2.0",
		Repository:        "https://github.com/pulumi/pulumi-tls",
		GitHubOrg:         "hashicorp",
		TFProviderLicense: bridged.Ptr(tfbridge.MPL20LicenseType),
		MetadataInfo:      tfbridge.NewProviderMetadata(nil),
		Resources:         map[string]*tfbridge.ResourceInfo{},
		DataSources:       map[string]*tfbridge.DataSourceInfo{},
	}
	for _, tf := range sortedKeys(p.ResourcesMap()) {
		info.Resources[tf] = &tfbridge.ResourceInfo{Tok: tokens.Type(ResourceToken(tf))}
	}
	for _, tf := range sortedKeys(p.DataSourcesMap()) {
		info.DataSources[tf] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(DataSourceToken(tf))}
	}
	return info
}

func sortedKeys(m shim.ResourceMap) []string {
	var names []string
	m.Range(func(key string, _ shim.Resource) bool {
		names = append(names, key)
		return true
	})
	sort.Strings(names)
	return names
}

func main() {
	ctx := context.Background()
	bridged.ServePF(ctx, Info(ctx))
}
