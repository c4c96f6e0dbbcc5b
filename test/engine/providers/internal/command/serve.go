package command

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// Main serves the provider the way the engine expects of a plugin: listen on
// a free loopback port, print it on stdout, serve until told to stop.
// Flags the engine passes (-tracing, -logtostderr, -v, the engine address) are
// accepted and ignored; -version prints the plugin version.
func Main() {
	fs := flag.NewFlagSet("pulumi-resource-command", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	version := fs.Bool("version", false, "print the plugin version")
	fs.String("tracing", "", "ignored")
	fs.Bool("logtostderr", false, "ignored")
	fs.Bool("logflow", false, "ignored")
	fs.Int("v", 0, "ignored")
	_ = fs.Parse(os.Args[1:])
	if *version {
		fmt.Println(Version)
		return
	}
	p := New()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(s, p)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: %v\n", err)
		os.Exit(1)
	}
}
