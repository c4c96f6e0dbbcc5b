// Package command is a native Pulumi resource provider serving the
// command:local:Command resource (and the command:local:run function) of
// @pulumi/command 4.5.0. It is written from the SDK's documented contract;
// no upstream pulumi-command code is used (that module is not served).
package command

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Version is the plugin version @pulumi/command "v4.5.0" asks the engine for.
const Version = "4.5.0"

const (
	commandType = "command:local:Command"
	runFunction = "command:local:run"
)

// Provider implements pulumirpc.ResourceProviderServer.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	ctx    context.Context // cancelled by Cancel: running commands are killed
	cancel context.CancelFunc
	mu     sync.Mutex
}

// New returns a provider whose commands run until Cancel is called.
func New() *Provider {
	ctx, cancel := context.WithCancel(context.Background())
	return &Provider{ctx: ctx, cancel: cancel}
}

var marshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func unmarshal(s *structpb.Struct, label string) (resource.PropertyMap, error) {
	o := marshalOpts
	o.Label = label
	return plugin.UnmarshalProperties(s, o)
}

func marshal(m resource.PropertyMap, label string) (*structpb.Struct, error) {
	o := marshalOpts
	o.Label = label
	return plugin.MarshalProperties(m, o)
}

// resourceRequest is what every resource request carries to name its type:
// the type itself, or (from engines that leave it out) the URN holding it.
type resourceRequest interface {
	GetType() string
	GetUrn() string
}

func checkType(req resourceRequest) error {
	t := req.GetType()
	if t == "" {
		t = string(resource.URN(req.GetUrn()).Type())
	}
	if t != commandType {
		return status.Errorf(codes.InvalidArgument, "unknown resource type %q", t)
	}
	return nil
}

// checkedProps checks that req is for a Command and decodes its properties s.
func checkedProps(req resourceRequest, s *structpb.Struct, label string) (resource.PropertyMap, error) {
	if err := checkType(req); err != nil {
		return nil, err
	}
	return unmarshal(s, label)
}

func (p *Provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true}, nil
}

func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (p *Provider) GetSchema(_ context.Context, req *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	if v := req.GetVersion(); v > 0 {
		return nil, status.Errorf(codes.InvalidArgument, "unsupported schema version %d", v)
	}
	return &pulumirpc.GetSchemaResponse{Schema: Schema}, nil
}

func (p *Provider) Attach(context.Context, *pulumirpc.PluginAttach) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *Provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *Provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancel()
	return &emptypb.Empty{}, nil
}

func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := checkedProps(req, req.GetNews(), "news")
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.CheckResponse{}
	bad := check(news)
	for _, k := range sortedKeys(bad) {
		resp.Failures = append(resp.Failures, &pulumirpc.CheckFailure{Property: k, Reason: bad[k]})
	}
	if len(bad) > 0 {
		return resp, nil
	}
	resp.Inputs, err = marshal(onlyInputs(news), "inputs")
	return resp, err
}

func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := checkedProps(req, req.GetOldInputs(), "oldInputs")
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 { // engines that send no old inputs: the state holds them
		if olds, err = unmarshal(req.GetOlds(), "olds"); err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews(), "news")
	if err != nil {
		return nil, err
	}
	for _, k := range req.GetIgnoreChanges() {
		if v, ok := olds[resource.PropertyKey(k)]; ok {
			news[resource.PropertyKey(k)] = v
		} else {
			delete(news, resource.PropertyKey(k))
		}
	}
	d := diffInputs(olds, news)
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		Diffs:           d.Changed,
		Replaces:        d.Replaces,
		HasDetailedDiff: true,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
	}
	if len(d.Changed) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	replace := map[string]bool{}
	for _, k := range d.Replaces {
		replace[k] = true
	}
	for _, k := range d.Changed {
		kind := pulumirpc.PropertyDiff_UPDATE
		_, inOld := onlyInputs(olds)[resource.PropertyKey(k)]
		_, inNew := onlyInputs(news)[resource.PropertyKey(k)]
		switch {
		case !inOld:
			kind = pulumirpc.PropertyDiff_ADD
		case !inNew:
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if replace[k] {
			kind += pulumirpc.PropertyDiff_ADD_REPLACE - pulumirpc.PropertyDiff_ADD
		}
		resp.DetailedDiff[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return resp, nil
}

// outputs is the state after a run: the inputs (secretness kept) plus stdout
// and stderr, secret when any input the command ran with is secret.
func outputs(inputs resource.PropertyMap, stdout, stderr resource.PropertyValue) resource.PropertyMap {
	out := onlyInputs(inputs)
	if anySecret(inputs, runKeys) {
		if !stdout.IsComputed() {
			stdout = resource.MakeSecret(stdout)
		}
		if !stderr.IsComputed() {
			stderr = resource.MakeSecret(stderr)
		}
	}
	out["stdout"], out["stderr"] = stdout, stderr
	return out
}

func computed() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}

func orEmpty(v resource.PropertyValue) resource.PropertyValue {
	if v.IsNull() {
		return resource.NewStringProperty("")
	}
	return v
}

// apply runs cmd, the command of a Create (olds nil) or an Update, and returns
// the new state. With no command to run the last output (none on create) is
// kept; a preview runs nothing and leaves the output unknown.
func (p *Provider) apply(cmd *string, s spec, news, olds resource.PropertyMap, preview bool) (*structpb.Struct, error) {
	var state resource.PropertyMap
	switch {
	case cmd == nil:
		state = outputs(news, orEmpty(olds["stdout"]), orEmpty(olds["stderr"]))
	case preview:
		state = outputs(news, computed(), computed())
	default:
		res, err := run(p.ctx, *cmd, s, previousOutputEnv(olds))
		if err != nil {
			return nil, err
		}
		state = outputs(news, resource.NewStringProperty(res.Stdout), resource.NewStringProperty(res.Stderr))
	}
	return marshal(state, "state")
}

func (p *Provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	news, err := checkedProps(req, req.GetProperties(), "properties")
	if err != nil {
		return nil, err
	}
	id, err := newID(resource.URN(req.GetUrn()).Name())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		id = ""
	}
	s := decode(news)
	props, err := p.apply(s.Create, s, news, nil, req.GetPreview())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if err := checkType(req); err != nil {
		return nil, err
	}
	// A command has no remote state to read back: the state is what it is.
	inputs := req.GetInputs()
	if inputs == nil {
		state, err := unmarshal(req.GetProperties(), "properties")
		if err != nil {
			return nil, err
		}
		if inputs, err = marshal(onlyInputs(state), "inputs"); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: inputs}, nil
}

// previousOutputEnv is what update and delete commands see of the last run.
func previousOutputEnv(olds resource.PropertyMap) map[string]string {
	env := map[string]string{}
	for k, name := range map[resource.PropertyKey]string{"stdout": "PULUMI_COMMAND_STDOUT", "stderr": "PULUMI_COMMAND_STDERR"} {
		if v := unsecret(olds[k]); v.IsString() {
			env[name] = v.StringValue()
		}
	}
	return env
}

func (p *Provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := checkedProps(req, req.GetOlds(), "olds")
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), "news")
	if err != nil {
		return nil, err
	}
	s := decode(news)
	cmd := s.Update
	if cmd == nil {
		cmd = s.Create
	}
	props, err := p.apply(cmd, s, news, olds, req.GetPreview())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (p *Provider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	olds, err := checkedProps(req, req.GetProperties(), "properties")
	if err != nil {
		return nil, err
	}
	s := decode(olds)
	if s.Delete != nil {
		if _, err := run(p.ctx, *s.Delete, s, previousOutputEnv(olds)); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

// Invoke serves command:local:run: run `command` once and return its output.
func (p *Provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != runFunction {
		return nil, status.Errorf(codes.InvalidArgument, "unknown function %q", req.GetTok())
	}
	args, err := unmarshal(req.GetArgs(), "args")
	if err != nil {
		return nil, err
	}
	cmdV := unsecret(args["command"])
	if !cmdV.IsString() {
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Property: "command", Reason: "command is required and must be a string"}}}, nil
	}
	s := decode(args)
	res, err := run(p.ctx, cmdV.StringValue(), s, nil)
	if err != nil {
		return nil, err
	}
	out := resource.PropertyMap{}
	for k, v := range args {
		out[k] = v
	}
	secret := args.ContainsSecrets()
	for k, v := range map[resource.PropertyKey]string{"stdout": res.Stdout, "stderr": res.Stderr} {
		pv := resource.NewStringProperty(v)
		if secret {
			pv = resource.MakeSecret(pv)
		}
		out[k] = pv
	}
	ret, err := marshal(out, "return")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

// newID is what upstream uses too: the resource name and a random suffix.
func newID(name string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return name + hex.EncodeToString(b), nil
}
