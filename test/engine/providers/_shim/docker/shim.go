// Package pulumishim is compiled INSIDE the module
// github.com/terraform-providers/terraform-provider-docker (served as
// github.com/kreuzwerker/terraform-provider-docker) through `go build -overlay`:
// the build script maps <module dir>/pulumishim/shim.go to this file. Only
// a package inside that module may import its internal/provider package, and
// this file is the only code we add to it; the module itself is never copied.
package pulumishim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

	tf "github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// SDKv2Provider returns the provider's terraform-plugin-sdk/v2 half.
func SDKv2Provider(version string) *schema.Provider { return tf.New(version)() }

// FrameworkProvider returns the provider's terraform-plugin-framework half.
func FrameworkProvider(version string) provider.Provider { return tf.NewFrameworkProvider(version)() }
