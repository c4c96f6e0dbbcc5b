package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	"logging-bootstrap/test/engine/providers/internal/bridged"
)

// The SDK side: what @pulumi/tls 5.6.1 registers and sends, read from its
// JavaScript (tokens, inputs, state keys, required inputs, secret outputs) and
// .d.ts (function results, nested types) in node_modules. testdata/sdk.json is
// the same facts extracted once (`go test -run SDK -update-sdk`); it is used when
// node_modules is absent and must equal the extraction when it is present.
var updateSDK = flag.Bool("update-sdk", false, "rewrite testdata/sdk.json from node_modules")

const sdkDir = "../../../../../node_modules/@pulumi/tls"
const sdkFacts = "testdata/sdk.json"

// Shape is one token's property sets as the SDK sees them.
type Shape struct {
	Token    string   `json:"token"`
	Kind     string   `json:"kind"` // resource, function, type
	Inputs   []string `json:"inputs,omitempty"`
	Outputs  []string `json:"outputs"`
	Required []string `json:"required,omitempty"`
	Secret   []string `json:"secret,omitempty"`
}

var (
	reType     = regexp.MustCompile(`static __pulumiType = '(tls:index/[^']+)'`)
	reArg      = regexp.MustCompile(`resourceInputs\["(\w+)"\] = args\?\.`)
	reState    = regexp.MustCompile(`resourceInputs\["(\w+)"\] = state\?\.`)
	reOut      = regexp.MustCompile(`resourceInputs\["(\w+)"\] = undefined /\*out\*/`)
	reRequired = regexp.MustCompile(`Missing required property '(\w+)'`)
	reSecret   = regexp.MustCompile(`additionalSecretOutputs: \[([^\]]*)\]`)
	reInvoke   = regexp.MustCompile(`(?s)pulumi\.runtime\.invoke\("(tls:index/[^"]+)", \{(.*?)\}, opts\)`)
	reQuoted   = regexp.MustCompile(`"(\w+)"`)
	reProp     = regexp.MustCompile(`^    (?:readonly )?(\w+)\??:`)
)

func matches(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return sorted(out)
}

func sorted(s []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// interfaceProps returns the property names of `export interface name` in a .d.ts.
func interfaceProps(dts, name string) []string {
	var props []string
	in := false
	for _, line := range strings.Split(dts, "\n") {
		switch {
		case strings.HasPrefix(line, "export interface "+name+" {"):
			in = true
		case in && line == "}":
			return sorted(props)
		case in:
			if m := reProp.FindStringSubmatch(line); m != nil {
				props = append(props, m[1])
			}
		}
	}
	return nil
}

// ExtractSDK reads the SDK facts from an unpacked @pulumi/tls.
func ExtractSDK(dir string) ([]Shape, error) {
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		return string(b), err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.js"))
	if err != nil {
		return nil, err
	}
	var shapes []Shape
	for _, f := range files {
		js, err := read(filepath.Base(f))
		if err != nil {
			return nil, err
		}
		if m := reType.FindStringSubmatch(js); m != nil {
			s := Shape{Token: m[1], Kind: "resource", Required: matches(reRequired, js)}
			s.Inputs = matches(reArg, js)
			s.Outputs = matches(reState, js)
			if sec := reSecret.FindStringSubmatch(js); sec != nil {
				s.Secret = matches(reQuoted, sec[1])
			}
			// The state keys are the inputs plus the output-only properties.
			if both := sorted(append(append([]string{}, s.Inputs...), matches(reOut, js)...)); strings.Join(both, ",") != strings.Join(s.Outputs, ",") {
				return nil, fmt.Errorf("%s: state keys %v are not inputs+outputs %v", s.Token, s.Outputs, both)
			}
			shapes = append(shapes, s)
		}
		if m := reInvoke.FindStringSubmatch(js); m != nil {
			name := strings.TrimSuffix(filepath.Base(f), ".js") // getCertificate
			dts, err := read(name + ".d.ts")
			if err != nil {
				return nil, err
			}
			upper := upperFirst(name)
			shapes = append(shapes, Shape{
				Token:   m[1],
				Kind:    "function",
				Inputs:  matches(reQuoted, m[2]),
				Outputs: interfaceProps(dts, upper+"Result"),
			})
		}
	}
	typesDTS, err := read("types/output.d.ts")
	if err != nil {
		return nil, err
	}
	for _, m := range regexp.MustCompile(`(?m)^export interface (\w+) \{`).FindAllStringSubmatch(typesDTS, -1) {
		tok := "tls:index/" + m[1] + ":" + m[1]
		if strings.HasPrefix(m[1], "Get") { // function result types: lower-case first letter
			lower := string(unicode.ToLower(rune(m[1][0]))) + m[1][1:]
			tok = "tls:index/" + lower + ":" + lower
		}
		shapes = append(shapes, Shape{Token: tok, Kind: "type", Outputs: interfaceProps(typesDTS, m[1])})
	}
	sort.Slice(shapes, func(i, j int) bool { return shapes[i].Token < shapes[j].Token })
	return shapes, nil
}

func upperFirst(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func keys[V any](m map[string]V) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return sorted(out)
}

func secretKeys(m map[string]pschema.PropertySpec) []string {
	out := []string{}
	for k, v := range m {
		if v.Secret {
			out = append(out, k)
		}
	}
	return sorted(out)
}

func loadSDK(t *testing.T) []Shape {
	t.Helper()
	var saved []Shape
	b, err := os.ReadFile(sdkFacts)
	if err == nil {
		err = json.Unmarshal(b, &saved)
	}
	if _, statErr := os.Stat(sdkDir); statErr != nil {
		if err != nil {
			t.Fatalf("no node_modules/@pulumi/tls and no usable %s: %v", sdkFacts, err)
		}
		return saved
	}
	got, xerr := ExtractSDK(sdkDir)
	if xerr != nil {
		t.Fatalf("reading @pulumi/tls: %v", xerr)
	}
	if *updateSDK {
		out, _ := json.MarshalIndent(got, "", "  ")
		if werr := os.WriteFile(sdkFacts, append(out, '\n'), 0o644); werr != nil {
			t.Fatal(werr)
		}
		return got
	}
	a, _ := json.Marshal(got)
	c, _ := json.Marshal(saved)
	if string(a) != string(c) {
		t.Fatalf("%s differs from node_modules/@pulumi/tls (run go test -run SDK -update-sdk and review)", sdkFacts)
	}
	return got
}

func schemaOf(t *testing.T) pschema.PackageSpec {
	t.Helper()
	ctx := context.Background()
	b, err := bridged.GenerateSchema(ctx, Info(ctx))
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	var spec pschema.PackageSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatalf("schema: %v", err)
	}
	return spec
}

func same(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := strings.Join(sorted(got), ","), strings.Join(sorted(want), ",")
	if g != w {
		t.Errorf("%s: bridge has [%s], SDK has [%s]", what, g, w)
	}
}

// TestSDKShapes: every token @pulumi/tls registers or invokes exists in the
// bridged schema with the same input, output, required and secret names, and the
// schema has no resource or function the SDK does not know.
func TestSDKShapes(t *testing.T) {
	sdk := loadSDK(t)
	spec := schemaOf(t)
	kinds := map[string]int{}
	for _, s := range sdk {
		kinds[s.Kind]++
	}
	if kinds["resource"] < 4 || kinds["function"] < 2 || kinds["type"] < 3 {
		t.Fatalf("SDK shapes read: %v; the extraction is broken", kinds)
	}
	var sdkResources, sdkFunctions []string
	for _, s := range sdk {
		switch s.Kind {
		case "resource":
			sdkResources = append(sdkResources, s.Token)
			r, ok := spec.Resources[s.Token]
			if !ok {
				t.Errorf("resource %s missing from the bridged schema", s.Token)
				continue
			}
			same(t, s.Token+" inputs", keys(r.InputProperties), s.Inputs)
			same(t, s.Token+" outputs", keys(r.Properties), s.Outputs)
			same(t, s.Token+" required inputs", r.RequiredInputs, s.Required)
			same(t, s.Token+" secret outputs", secretKeys(r.Properties), s.Secret)
		case "function":
			sdkFunctions = append(sdkFunctions, s.Token)
			f, ok := spec.Functions[s.Token]
			outputs := f.Outputs // the schema's "outputs" arrives as ReturnType
			if outputs == nil && f.ReturnType != nil {
				outputs = f.ReturnType.ObjectTypeSpec
			}
			if !ok || f.Inputs == nil || outputs == nil {
				t.Errorf("function %s missing from the bridged schema", s.Token)
				continue
			}
			same(t, s.Token+" inputs", keys(f.Inputs.Properties), s.Inputs)
			same(t, s.Token+" outputs", keys(outputs.Properties), s.Outputs)
		case "type":
			ty, ok := spec.Types[s.Token]
			if !ok {
				t.Errorf("type %s missing from the bridged schema", s.Token)
				continue
			}
			same(t, s.Token+" properties", keys(ty.Properties), s.Outputs)
		}
	}
	same(t, "resources", keys(spec.Resources), sdkResources)
	var fns []string
	for tok := range spec.Functions {
		if strings.HasPrefix(tok, "tls:") {
			fns = append(fns, tok)
		}
	}
	same(t, "functions", fns, sdkFunctions)
	if spec.Version != Version {
		t.Errorf("schema version %q, want %q", spec.Version, Version)
	}
}

func TestTokens(t *testing.T) {
	for tf, want := range map[string]string{
		"tls_private_key":         "tls:index/privateKey:PrivateKey",
		"tls_self_signed_cert":    "tls:index/selfSignedCert:SelfSignedCert",
		"tls_cert_request":        "tls:index/certRequest:CertRequest",
		"tls_locally_signed_cert": "tls:index/locallySignedCert:LocallySignedCert",
	} {
		if got := ResourceToken(tf); got != want {
			t.Errorf("ResourceToken(%s) = %s, want %s", tf, got, want)
		}
	}
	for tf, want := range map[string]string{
		"tls_certificate": "tls:index/getCertificate:getCertificate",
		"tls_public_key":  "tls:index/getPublicKey:getPublicKey",
	} {
		if got := DataSourceToken(tf); got != want {
			t.Errorf("DataSourceToken(%s) = %s, want %s", tf, got, want)
		}
	}
}
