// Package pulumishim is compiled INSIDE the module
// github.com/terraform-providers/terraform-provider-random (served as
// github.com/hashicorp/terraform-provider-random) through `go build -overlay`:
// the build script maps <module dir>/pulumishim/shim.go to this file, so it
// may import the module's internal/provider package. The module itself is
// never copied.
package pulumishim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	tf "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// FrameworkProvider returns the random provider (terraform-plugin-framework).
func FrameworkProvider() provider.Provider { return tf.New() }
