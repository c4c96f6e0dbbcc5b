// Package names holds the test that the bridged providers' Pulumi property
// names equal those of the npm SDKs the program uses.
package names

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	"logging-bootstrap/test/engine/providers/internal/bridged"
	"logging-bootstrap/test/engine/providers/internal/dockerprov"
	"logging-bootstrap/test/engine/providers/internal/randomprov"
)

// The SDK side of the contract: property names of the @pulumi/docker 5.2.0 and
// @pulumi/random 4.21.2 classes, Args interfaces and nested types the program
// uses, read from the SDKs' .d.ts files in node_modules. testdata/sdk_names.json
// is the same list extracted once (`go test -run Names -update-sdk-names`), used
// when node_modules is absent and checked against the .d.ts when it is present.
var updateSDKNames = flag.Bool("update-sdk-names", false, "rewrite testdata/sdk_names.json from node_modules")

const nodeModules = "../../../../../node_modules/@pulumi"

// One checked shape: a Pulumi schema location and the .d.ts declarations with
// the same property set.
type shape struct {
	Kind  string // resource-inputs, resource-outputs, type, function-inputs, function-outputs
	Token string // resource/function token, or type token
	File  string // .d.ts file under node_modules/@pulumi
	Decl  string // "class Container" or "interface ContainerArgs"
}

var shapes = []shape{
	{"resource-inputs", "docker:index/network:Network", "docker/network.d.ts", "interface NetworkArgs"},
	{"resource-outputs", "docker:index/network:Network", "docker/network.d.ts", "class Network"},
	{"type", "docker:index/NetworkLabel:NetworkLabel", "docker/types/input.d.ts", "interface NetworkLabel"},
	{"resource-inputs", "docker:index/volume:Volume", "docker/volume.d.ts", "interface VolumeArgs"},
	{"resource-outputs", "docker:index/volume:Volume", "docker/volume.d.ts", "class Volume"},
	{"type", "docker:index/VolumeLabel:VolumeLabel", "docker/types/input.d.ts", "interface VolumeLabel"},
	{"resource-inputs", "docker:index/remoteImage:RemoteImage", "docker/remoteImage.d.ts", "interface RemoteImageArgs"},
	{"resource-outputs", "docker:index/remoteImage:RemoteImage", "docker/remoteImage.d.ts", "class RemoteImage"},
	{"resource-inputs", "docker:index/container:Container", "docker/container.d.ts", "interface ContainerArgs"},
	{"resource-outputs", "docker:index/container:Container", "docker/container.d.ts", "class Container"},
	{"type", "docker:index/ContainerLabel:ContainerLabel", "docker/types/input.d.ts", "interface ContainerLabel"},
	{"type", "docker:index/ContainerNetworksAdvanced:ContainerNetworksAdvanced", "docker/types/input.d.ts", "interface ContainerNetworksAdvanced"},
	{"type", "docker:index/ContainerPort:ContainerPort", "docker/types/input.d.ts", "interface ContainerPort"},
	{"type", "docker:index/ContainerVolume:ContainerVolume", "docker/types/input.d.ts", "interface ContainerVolume"},
	{"type", "docker:index/ContainerUpload:ContainerUpload", "docker/types/input.d.ts", "interface ContainerUpload"},
	{"type", "docker:index/ContainerHealthcheck:ContainerHealthcheck", "docker/types/input.d.ts", "interface ContainerHealthcheck"},
	{"function-inputs", "docker:index/getRemoteImage:getRemoteImage", "docker/getRemoteImage.d.ts", "interface GetRemoteImageArgs"},
	{"function-outputs", "docker:index/getRemoteImage:getRemoteImage", "docker/getRemoteImage.d.ts", "interface GetRemoteImageResult"},
	{"resource-inputs", "random:index/randomPassword:RandomPassword", "random/randomPassword.d.ts", "interface RandomPasswordArgs"},
	{"resource-outputs", "random:index/randomPassword:RandomPassword", "random/randomPassword.d.ts", "class RandomPassword"},
}

// Properties the SDK declares that the bridged upstream no longer has. Each is
// an accepted, documented difference (README): the program must not use them.
var knownMissing = map[string]bool{}

// Properties the program actually sets or reads; these must exist.
var usedByProgram = map[string][]string{
	"docker:index/network:Network":                                     {"name", "driver", "labels"},
	"docker:index/volume:Volume":                                       {"name", "driver", "labels", "driverOpts"},
	"docker:index/remoteImage:RemoteImage":                             {"name", "keepLocally", "imageId", "repoDigest"},
	"docker:index/getRemoteImage:getRemoteImage":                       {"name"},
	"docker:index/container:Container":                                 {"name", "image", "command", "envs", "labels", "restart", "logDriver", "logOpts", "memory", "memorySwap", "networksAdvanced", "ports", "volumes", "uploads", "healthcheck", "wait", "waitTimeout", "mustRun", "user", "privileged", "exitCode"},
	"docker:index/ContainerNetworksAdvanced:ContainerNetworksAdvanced": {"name", "aliases"},
	"docker:index/ContainerPort:ContainerPort":                         {"internal", "external", "ip", "protocol"},
	"docker:index/ContainerVolume:ContainerVolume":                     {"containerPath", "hostPath", "volumeName", "readOnly"},
	"docker:index/ContainerUpload:ContainerUpload":                     {"file", "content", "permissions", "owner", "group", "executable"},
	"docker:index/ContainerHealthcheck:ContainerHealthcheck":           {"tests", "interval", "timeout", "retries", "startPeriod"},
	"random:index/randomPassword:RandomPassword":                       {"length", "special", "result", "bcryptHash"},
}

var memberRE = regexp.MustCompile(`^    (readonly )?([A-Za-z_$][A-Za-z0-9_$]*)(\??): `)

// declNames returns the member names of `export [declare] <decl> ... {` in file
// (only the required ones, those without `?`, if required is set).
func declNames(t *testing.T, file, decl string, required bool) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	in := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !in {
			rest, ok := strings.CutPrefix(line, "export ")
			rest = strings.TrimPrefix(rest, "declare ")
			if ok && (strings.HasPrefix(rest, decl+" {") || strings.HasPrefix(rest, decl+" extends ")) {
				in = true
			}
			continue
		}
		if line == "}" {
			break
		}
		if m := memberRE.FindStringSubmatch(line); m != nil {
			if strings.HasPrefix(decl, "class ") && m[1] == "" {
				continue // static/private members of the class
			}
			if required && m[3] == "?" {
				continue
			}
			names = append(names, m[2])
		}
	}
	if !in {
		t.Fatalf("%s: %s not found", file, decl)
	}
	if strings.HasPrefix(decl, "class ") {
		// Every resource has these; the schema does not list them.
		names = filter(names, func(s string) bool { return s != "urn" && s != "id" })
	}
	sort.Strings(names)
	return names
}

func filter(xs []string, keep func(string) bool) []string {
	var out []string
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func shapeKey(s shape) string { return s.Kind + " " + s.Token }

func sdkNames(t *testing.T) map[string][]string {
	t.Helper()
	golden := filepath.Join("testdata", "sdk_names.json")
	if _, err := os.Stat(nodeModules); err != nil {
		b, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string][]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		t.Logf("node_modules absent: using %s", golden)
		return m
	}
	m := map[string][]string{}
	for _, s := range shapes {
		m[shapeKey(s)] = declNames(t, filepath.Join(nodeModules, s.File), s.Decl, false)
		if strings.HasSuffix(s.Kind, "-inputs") {
			m["required "+shapeKey(s)] = declNames(t, filepath.Join(nodeModules, s.File), s.Decl, true)
		}
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	b = append(b, '\n')
	if *updateSDKNames {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if old, err := os.ReadFile(golden); err != nil || string(old) != string(b) {
		t.Errorf("%s is stale against node_modules; rerun with -update-sdk-names", golden)
	}
	return m
}

func schemaNames(spec *pschema.PackageSpec, s shape) ([]string, bool) {
	var props map[string]pschema.PropertySpec
	switch s.Kind {
	case "resource-inputs", "resource-outputs":
		r, ok := spec.Resources[s.Token]
		if !ok {
			return nil, false
		}
		props = r.InputProperties
		if s.Kind == "resource-outputs" {
			props = r.Properties
		}
	case "type":
		ty, ok := spec.Types[s.Token]
		if !ok {
			return nil, false
		}
		props = ty.Properties
	case "function-inputs":
		f, ok := spec.Functions[s.Token]
		if !ok || f.Inputs == nil {
			return nil, false
		}
		props = f.Inputs.Properties
	case "function-outputs":
		f, ok := spec.Functions[s.Token]
		switch {
		case ok && f.Outputs != nil:
			props = f.Outputs.Properties
		case ok && f.ReturnType != nil && f.ReturnType.ObjectTypeSpec != nil:
			props = f.ReturnType.ObjectTypeSpec.Properties
		default:
			return nil, false
		}
	}
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	if s.Kind == "resource-outputs" {
		names = filter(names, func(s string) bool { return s != "id" })
	}
	sort.Strings(names)
	return names, true
}

// requiredInputs lists the required inputs of a resource or function.
func requiredInputs(spec *pschema.PackageSpec, s shape) []string {
	var req []string
	switch s.Kind {
	case "resource-inputs":
		req = spec.Resources[s.Token].RequiredInputs
	case "function-inputs":
		if f := spec.Functions[s.Token]; f.Inputs != nil {
			req = f.Inputs.Required
		}
	}
	req = append([]string{}, req...)
	sort.Strings(req)
	return req
}

func generated(t *testing.T) map[string]*pschema.PackageSpec {
	t.Helper()
	ctx := context.Background()
	out := map[string]*pschema.PackageSpec{}
	for _, pkg := range []string{"docker", "random"} {
		var b []byte
		var err error
		switch pkg {
		case "docker":
			b, err = bridged.GenerateSchema(ctx, dockerprov.Info(ctx))
		case "random":
			b, err = bridged.GenerateSchema(ctx, randomprov.Info(ctx))
		}
		if err != nil {
			t.Fatalf("%s schema: %v", pkg, err)
		}
		var spec pschema.PackageSpec
		if err := json.Unmarshal(b, &spec); err != nil {
			t.Fatal(err)
		}
		out[pkg] = &spec
	}
	return out
}

// TestNamesMatchSDK compares, for every resource, data source and nested type
// the program uses, the property names the bridge derives from the Terraform
// schema (plus our overrides) with the names in the npm SDK.
func TestNamesMatchSDK(t *testing.T) {
	sdk := sdkNames(t)
	specs := generated(t)
	for _, s := range shapes {
		pkg := s.Token[:strings.Index(s.Token, ":")]
		got, ok := schemaNames(specs[pkg], s)
		if !ok {
			t.Errorf("%s: token missing from the bridged schema", shapeKey(s))
			continue
		}
		if strings.HasSuffix(s.Kind, "-inputs") {
			gotReq, wantReq := requiredInputs(specs[pkg], s), sdk["required "+shapeKey(s)]
			if strings.Join(gotReq, ",") != strings.Join(wantReq, ",") {
				t.Errorf("%s: required inputs %v, the SDK requires %v", shapeKey(s), gotReq, wantReq)
			}
		}
		want := sdk[shapeKey(s)]
		gotSet := map[string]bool{}
		for _, n := range got {
			gotSet[n] = true
		}
		wantSet := map[string]bool{}
		for _, n := range want {
			wantSet[n] = true
		}
		for _, n := range want {
			if !gotSet[n] && !knownMissing[s.Token+"."+n] {
				t.Errorf("%s: SDK property %q is not in the bridged schema", shapeKey(s), n)
			}
		}
		var extra []string
		for _, n := range got {
			if !wantSet[n] {
				extra = append(extra, n)
			}
		}
		if len(extra) > 0 {
			// Newer upstream attributes the 5.2.0 SDK cannot send; harmless.
			t.Logf("%s: bridged schema has properties the SDK lacks: %v", shapeKey(s), extra)
		}
		for _, n := range usedByProgram[s.Token] {
			if s.Kind == "resource-outputs" || s.Kind == "type" || s.Kind == "function-inputs" {
				if !gotSet[n] {
					t.Errorf("%s: property %q used by the program is missing", shapeKey(s), n)
				}
			}
		}
	}
}
