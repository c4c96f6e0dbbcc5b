// Package pulumishim is added by ../../../build-providers.sh to the copy of
// github.com/hashicorp/terraform-provider-tls in .tools/engine/modsrc/tls
// (as pulumishim/shim.go), so that it may import the module's
// internal/provider package. Nothing else of that module is changed.
package pulumishim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	tf "github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// FrameworkProvider returns the tls provider (terraform-plugin-framework).
func FrameworkProvider() provider.Provider { return tf.New() }
