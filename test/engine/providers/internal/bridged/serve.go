package bridged

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/x/muxer"
	"github.com/pulumi/pulumi-terraform-bridge/v3/unstable/metadata"
	rprovider "github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
)

// GenerateSchema derives the Pulumi package schema of info with the bridge's
// schema generator, using only the descriptions in the TF schema (no docs repo).
func GenerateSchema(ctx context.Context, info tfbridge.ProviderInfo) ([]byte, error) {
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	res, err := pftfgen.GenerateSchema(ctx, pftfgen.GenerateSchemaOptions{
		ProviderInfo:    info,
		DiagnosticsSink: sink,
		XInMemoryDocs:   true,
	})
	if err != nil {
		return nil, err
	}
	return res.ProviderMetadata.PackageSchema, nil
}

// HandleFlags handles -version and -schema (print the package schema) and
// exits if one was given; other flags are left to the provider server.
func HandleFlags(ctx context.Context, info tfbridge.ProviderInfo) {
	fs := flag.NewFlagSet(info.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	version := fs.Bool("version", false, "print the plugin version")
	schema := fs.Bool("schema", false, "print the Pulumi package schema")
	_ = fs.Parse(os.Args[1:]) // other flags (-tracing, -logtostderr, ...) are the provider server's
	switch {
	case *version:
		fmt.Println(info.Version)
		os.Exit(0)
	case *schema:
		start := time.Now()
		b, err := GenerateSchema(ctx, info)
		if err != nil {
			cmdutil.ExitError(err.Error())
		}
		os.Stdout.Write(b)
		fmt.Fprintf(os.Stderr, "schema generated in %s\n", time.Since(start))
		os.Exit(0)
	}
}

// ServeMuxed serves info, whose P is a muxed shim (pfbridge.MuxShimWithPF).
func ServeMuxed(ctx context.Context, info tfbridge.ProviderInfo) {
	HandleFlags(ctx, info)

	// The bridge's muxed server wants the dispatch table (which half serves
	// which token) precomputed by tfgen into the metadata; compute it here.
	resolver, ok := info.P.(interface {
		ResolveDispatch(*tfbridge.ProviderInfo) (muxer.DispatchTable, error)
	})
	if !ok {
		cmdutil.ExitError(info.Name + ": provider shim is not a muxed shim")
	}
	dispatch, err := resolver.ResolveDispatch(&info)
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
	if err := metadata.Set(info.GetMetadata(), "mux", dispatch); err != nil {
		cmdutil.ExitError(err.Error())
	}
	schema, err := GenerateSchema(ctx, info)
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
	if err := rprovider.Main(info.Name, pfbridge.MakeMuxedServer(ctx, info.Name, info, schema)); err != nil {
		cmdutil.ExitError(err.Error())
	}
}

// ServePF serves info, whose P is a plugin-framework shim.
func ServePF(ctx context.Context, info tfbridge.ProviderInfo) {
	HandleFlags(ctx, info)
	schema, err := GenerateSchema(ctx, info)
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
	pfbridge.Main(ctx, info.Name, info, pfbridge.ProviderMetadata{PackageSchema: schema})
}
