// pulumi-language-nodejs: this project's own Node.js language host for the Pulumi CLI.
//
// Why it exists: the upstream host is its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), which the module proxy here
// refuses for every version ("403 This module version is not available"). The Node.js SDK already
// contains the real program runner (@pulumi/pulumi/cmd/run, cmd/run-policy-pack), so a host only
// has to start it with the engine's addresses, the stack config and the project's runtime options.
// That is all this does; code generation, `pulumi new` and `pulumi convert` are not supported.
//
// Protocol: started by the engine with its address as the last argument, it serves the
// LanguageRuntime gRPC service on 127.0.0.1 and prints the port on stdout.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"logging-bootstrap/engine/cli/langhost"
)

// version is set at link time (-X main.version=...), to the CLI version it is built with.
var version = "0.0.0-dev"

func main() {
	// The engine's address is the last positional argument; older engines also passed flags such
	// as -tracing or -root, which this host does not need.
	var engineAddress string
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			engineAddress = a
		}
	}
	if engineAddress == "" && len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println(version)
		return
	}
	if err := serve(&host{engineAddress: engineAddress}); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

// serve serves h on a free loopback port, printed on stdout for the engine, until the engine stops
// it.
func serve(h *host) error {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		return fmt.Errorf("could not serve: %w", err)
	}
	fmt.Printf("%d\n", handle.Port)
	return <-handle.Done
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	mu            sync.Mutex
	engineAddress string
}

func (h *host) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	return fallback
}

func options(info *pulumirpc.ProgramInfo) (langhost.Options, error) {
	if info == nil || info.GetOptions() == nil {
		return langhost.ParseOptions(nil)
	}
	return langhost.ParseOptions(info.GetOptions().AsMap())
}

// requiredPackages lists the program's Pulumi packages (langhost.RequiredPackages) in the form
// one of the engine's requests wants.
func requiredPackages[T any](info *pulumirpc.ProgramInfo, pwd string, as func(langhost.Package) T) ([]T, error) {
	pkgs, err := langhost.RequiredPackages(programDir(info, pwd))
	if err != nil {
		return nil, err
	}
	var out []T
	for _, p := range pkgs {
		out = append(out, as(p))
	}
	return out, nil
}

func packageDependency(p langhost.Package) *pulumirpc.PackageDependency {
	return &pulumirpc.PackageDependency{Kind: "resource", Name: p.Name, Version: p.Version, Server: p.Server}
}

func pluginDependency(p langhost.Package) *pulumirpc.PluginDependency {
	return &pulumirpc.PluginDependency{Kind: "resource", Name: p.Name, Version: p.Version, Server: p.Server}
}

func dependencyInfo(p langhost.Package) *pulumirpc.DependencyInfo {
	return &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version}
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	pkgs, err := requiredPackages(req.GetInfo(), ".", packageDependency)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	plugins, err := requiredPackages(req.GetInfo(), req.GetPwd(), pluginDependency)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// resolveModule finds a module the way the program itself would (node's require.resolve from
// dir), so the SDK copy that runs is the program's own.
func resolveModule(ctx context.Context, node, dir, module string) (string, error) {
	cmd := exec.CommandContext(ctx, node, "-e", "process.stdout.write(require.resolve(process.argv[1]))", module)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not find %s from %s (run `npm ci` there first): %v: %s", module, dir, err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	opts, err := options(req.GetInfo())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node is not on PATH: install Node.js to run this program")
	}
	dir := programDir(req.GetInfo(), req.GetPwd())
	entry, err := resolveModule(ctx, node, dir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	program := req.GetProgram()
	if info := req.GetInfo(); info != nil && info.GetEntryPoint() != "" {
		program = info.GetEntryPoint()
	}
	spec := langhost.RunSpec{
		Entry: entry, Program: program, Pwd: req.GetPwd(), RootDirectory: req.GetInfo().GetRootDirectory(),
		Organization: req.GetOrganization(), Project: req.GetProject(), Stack: req.GetStack(),
		MonitorAddress: req.GetMonitorAddress(), EngineAddress: h.engine(), DryRun: req.GetDryRun(),
		Parallel: req.GetParallel(), Config: req.GetConfig(), ConfigSecretKeys: req.GetConfigSecretKeys(), Args: req.GetArgs(),
	}
	env, err := langhost.RunEnv(opts, spec)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, node, langhost.RunArgs(opts, spec)...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(os.Environ(), env...)
	// The engine forwards this host's stdout/stderr to the user line by line.
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	code := 0
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not start node: %v", err)}, nil
		}
		code = exit.ExitCode()
	}
	errText, bail := langhost.ExitResult(code)
	return &pulumirpc.RunResponse{Error: errText, Bail: bail}, nil
}

// streamWriter sends a plugin's output to the engine as RunPluginResponse messages.
type streamWriter struct {
	mu     *sync.Mutex
	stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	buf := append([]byte{}, p...)
	msg := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: buf}}
	if w.stderr {
		msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: buf}}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.stream.Send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

// RunPlugin runs a plugin written in Node.js; the engine uses it for policy packs
// (PulumiPolicy.yaml with runtime nodejs).
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	ctx := stream.Context()
	opts, err := options(req.GetInfo())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	script, err := langhost.PluginEntry(req.GetKind())
	if err != nil {
		return status.Error(codes.Unimplemented, err.Error())
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return errors.New("node is not on PATH: install Node.js to run this plugin")
	}
	dir := programDir(req.GetInfo(), req.GetPwd())
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// Resolved from the plugin's own directory: a policy pack uses its own @pulumi/pulumi.
	entry, err := resolveModule(ctx, node, abs, script)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, node, langhost.PluginArgs(opts, req.GetKind(), entry, abs, req.GetArgs())...)
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	var mu sync.Mutex
	cmd.Stdout = streamWriter{mu: &mu, stream: stream}
	cmd.Stderr = streamWriter{mu: &mu, stream: stream, stderr: true}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return fmt.Errorf("could not start node: %w", err)
		}
		code = int32(exit.ExitCode())
	}
	mu.Lock()
	defer mu.Unlock()
	return stream.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// InstallDependencies runs `npm ci` (a lock file exists) or `npm install` in the directory.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	dir := req.GetDirectory()
	if info := req.GetInfo(); info != nil && info.GetProgramDirectory() != "" {
		dir = info.GetProgramDirectory()
	}
	verb := "install"
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err == nil {
		verb = "ci"
	}
	cmd := exec.CommandContext(stream.Context(), "npm", verb, "--no-audit", "--no-fund")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if sendErr := stream.Send(&pulumirpc.InstallDependenciesResponse{Stdout: out}); sendErr != nil {
		return sendErr
	}
	if err != nil {
		return fmt.Errorf("npm %s in %s failed: %w", verb, dir, err)
	}
	return nil
}

func (h *host) About(_ context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.AboutResponse{}, nil
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return &pulumirpc.AboutResponse{Executable: node}, nil
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimPrefix(strings.TrimSpace(string(out)), "v")}, nil
}

func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	deps, err := requiredPackages(req.GetInfo(), req.GetPwd(), dependencyInfo)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) Cancel(context.Context, *pbempty.Empty) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}

var _ io.Writer = streamWriter{}
