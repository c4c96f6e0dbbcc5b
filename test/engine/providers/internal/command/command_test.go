package command

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

const urn = "urn:pulumi:test::proj::command:local:Command::host-dirs"

func pm(t *testing.T, m map[string]any) resource.PropertyMap {
	t.Helper()
	return resource.NewPropertyMapFromMap(m)
}

func st(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := marshal(m, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func back(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := unmarshal(s, "test")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDiffSemantics(t *testing.T) {
	base := map[string]any{"create": "echo a", "interpreter": []any{"/bin/sh", "-c"}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range base {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name             string
		olds, news       map[string]any
		changed, replace string
		kind             pulumirpc.PropertyDiff_Kind
	}{
		{"same", base, base, "", "", 0},
		{"create changed: in-place update", base, with("create", "echo b"), "create", "", pulumirpc.PropertyDiff_UPDATE},
		{"update added", base, with("update", "echo u"), "update", "", pulumirpc.PropertyDiff_ADD},
		{"env changed", base, with("environment", map[string]any{"A": "1"}), "environment", "", pulumirpc.PropertyDiff_ADD},
		{"interpreter removed", base, with("interpreter", nil), "interpreter", "", pulumirpc.PropertyDiff_DELETE},
		{"triggers added: replace", base, with("triggers", []any{"x"}), "triggers", "triggers", pulumirpc.PropertyDiff_ADD_REPLACE},
		{"triggers changed: replace", with("triggers", []any{"x"}), with("triggers", []any{"y"}), "triggers", "triggers", pulumirpc.PropertyDiff_UPDATE_REPLACE},
		{"stdout in olds is not an input", with("stdout", "zz"), base, "", "", 0},
	}
	p := New()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{
				Urn: urn, OldInputs: st(t, pm(t, c.olds)), Olds: st(t, pm(t, c.olds)), News: st(t, pm(t, c.news)),
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(resp.Diffs, ","); got != c.changed {
				t.Errorf("diffs = %q, want %q", got, c.changed)
			}
			if got := strings.Join(resp.Replaces, ","); got != c.replace {
				t.Errorf("replaces = %q, want %q", got, c.replace)
			}
			if c.changed == "" {
				if resp.Changes != pulumirpc.DiffResponse_DIFF_NONE {
					t.Errorf("changes = %v, want none", resp.Changes)
				}
				return
			}
			if resp.Changes != pulumirpc.DiffResponse_DIFF_SOME {
				t.Errorf("changes = %v, want some", resp.Changes)
			}
			if got := resp.DetailedDiff[c.changed].GetKind(); got != c.kind {
				t.Errorf("detailed kind = %v, want %v", got, c.kind)
			}
		})
	}
}

func TestDiffSecretnessAloneIsNoChangeAndUnknownIsAChange(t *testing.T) {
	olds := resource.PropertyMap{"create": resource.NewStringProperty("echo s")}
	news := resource.PropertyMap{"create": resource.MakeSecret(resource.NewStringProperty("echo s"))}
	if d := diffInputs(olds, news); len(d.Changed) != 0 {
		t.Errorf("secret wrap alone diffed: %v", d.Changed)
	}
	news = resource.PropertyMap{"create": resource.MakeComputed(resource.NewStringProperty(""))}
	if d := diffInputs(olds, news); strings.Join(d.Changed, ",") != "create" {
		t.Errorf("unknown not a change: %v", d.Changed)
	}
}

func TestIgnoreChanges(t *testing.T) {
	p := New()
	resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn:           urn,
		OldInputs:     st(t, pm(t, map[string]any{"create": "a"})),
		News:          st(t, pm(t, map[string]any{"create": "b"})),
		IgnoreChanges: []string{"create"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("ignoreChanges not honoured: %v", resp.Diffs)
	}
}

func TestCheck(t *testing.T) {
	p := New()
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn,
		News: st(t, pm(t, map[string]any{"create": 3.0, "environment": map[string]any{"A": "x"}, "bogus": "y"}))})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range resp.Failures {
		got[f.Property] = true
	}
	if !got["create"] || !got["bogus"] || got["environment"] || len(got) != 2 {
		t.Errorf("failures = %v", resp.Failures)
	}
	resp, err = p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn,
		News: st(t, pm(t, map[string]any{"create": "true", "interpreter": []any{"/bin/sh", "-c"}}))})
	if err != nil || len(resp.Failures) != 0 {
		t.Fatalf("valid inputs: %v %v", err, resp.GetFailures())
	}
}

func TestCreateRunsWithInterpreterEnvStdinDir(t *testing.T) {
	dir := t.TempDir()
	p := New()
	in := resource.PropertyMap{
		"create":      resource.NewStringProperty(`printf '%s|%s|' "$FOO" "$(pwd)"; cat; echo warn >&2`),
		"interpreter": resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("/bin/sh"), resource.NewStringProperty("-c")}),
		"environment": resource.NewObjectProperty(resource.PropertyMap{"FOO": resource.NewStringProperty("bar")}),
		"stdin":       resource.NewStringProperty("from-stdin\n"),
		"dir":         resource.NewStringProperty(dir),
	}
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: st(t, in)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.Id, "host-dirs") {
		t.Errorf("id = %q", resp.Id)
	}
	out := back(t, resp.Properties)
	if got, want := out["stdout"].StringValue(), "bar|"+dir+"|from-stdin"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got := out["stderr"].StringValue(); got != "warn" {
		t.Errorf("stderr = %q", got)
	}
	if out["create"].StringValue() != in["create"].StringValue() || out["dir"].StringValue() != dir {
		t.Errorf("inputs not echoed: %v", out)
	}
}

func TestCreateFailsWithStderr(t *testing.T) {
	p := New()
	in := resource.PropertyMap{"create": resource.NewStringProperty("echo boom >&2; exit 3")}
	_, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: st(t, in)})
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("err = %v", err)
	}
}

func TestPreviewRunsNothing(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	p := New()
	in := resource.PropertyMap{"create": resource.NewStringProperty("touch " + marker)}
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: st(t, in), Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("preview ran the command")
	}
	if out := back(t, resp.Properties); !out["stdout"].IsComputed() {
		t.Errorf("stdout in preview = %v, want unknown", out["stdout"])
	}
}

func TestSecretInputsKeepOutputsSecret(t *testing.T) {
	p := New()
	in := resource.PropertyMap{
		"create":      resource.NewStringProperty("echo $TOKEN"),
		"environment": resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{"TOKEN": resource.NewStringProperty("s3cret")})),
	}
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: st(t, in)})
	if err != nil {
		t.Fatal(err)
	}
	out := back(t, resp.Properties)
	if !out["environment"].IsSecret() || !out["stdout"].IsSecret() || !out["stderr"].IsSecret() {
		t.Errorf("secretness lost: %v", out)
	}
	if got := out["stdout"].SecretValue().Element.StringValue(); got != "s3cret" {
		t.Errorf("stdout = %q", got)
	}
}

func TestUpdateRunsUpdateElseCreateWithPreviousOutput(t *testing.T) {
	p := New()
	olds := resource.PropertyMap{"create": resource.NewStringProperty("echo one"), "stdout": resource.NewStringProperty("one"), "stderr": resource.NewStringProperty("")}
	news := resource.PropertyMap{"create": resource.NewStringProperty("echo two"), "update": resource.NewStringProperty(`echo "up:$PULUMI_COMMAND_STDOUT"`)}
	resp, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urn, Olds: st(t, olds), News: st(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	if got := back(t, resp.Properties)["stdout"].StringValue(); got != "up:one" {
		t.Errorf("update stdout = %q", got)
	}
	delete(news, "update")
	resp, err = p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urn, Olds: st(t, olds), News: st(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	if got := back(t, resp.Properties)["stdout"].StringValue(); got != "two" {
		t.Errorf("create-again stdout = %q", got)
	}
}

func TestDeleteRunsDelete(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "deleted")
	p := New()
	state := resource.PropertyMap{
		"create": resource.NewStringProperty("true"),
		"delete": resource.NewStringProperty(`printf %s "$PULUMI_COMMAND_STDOUT" > ` + marker),
		"stdout": resource.NewStringProperty("prev"),
	}
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urn, Properties: st(t, state)}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(marker)
	if err != nil || string(b) != "prev" {
		t.Fatalf("delete did not run: %v %q", err, b)
	}
	state["delete"] = resource.NewStringProperty("exit 1")
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urn, Properties: st(t, state)}); err == nil {
		t.Fatal("failing delete reported success")
	}
}

func TestReadReturnsStateAsIs(t *testing.T) {
	p := New()
	state := resource.PropertyMap{"create": resource.NewStringProperty("x"), "stdout": resource.NewStringProperty("o"), "stderr": resource.NewStringProperty("")}
	resp, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Id: "id1", Urn: urn, Properties: st(t, state)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Id != "id1" || !back(t, resp.Properties).DeepEquals(state) {
		t.Errorf("read = %v", resp)
	}
	if in := back(t, resp.Inputs); len(in) != 1 || in["create"].StringValue() != "x" {
		t.Errorf("read inputs = %v", in)
	}
}

func TestCancelKillsRunningCommand(t *testing.T) {
	p := New()
	done := make(chan error, 1)
	go func() {
		_, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn,
			Properties: st(t, resource.PropertyMap{"create": resource.NewStringProperty("sleep 30")})})
		done <- err
	}()
	if _, err := p.Cancel(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("cancelled command succeeded")
	}
}

func TestSchemaListsTheInputs(t *testing.T) {
	var pkg struct {
		Resources map[string]struct {
			InputProperties map[string]any `json:"inputProperties"`
			Properties      map[string]any `json:"properties"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(Schema), &pkg); err != nil {
		t.Fatal(err)
	}
	r := pkg.Resources[commandType]
	for _, k := range inputKeys {
		if r.InputProperties[string(k)] == nil || r.Properties[string(k)] == nil {
			t.Errorf("input %q missing from the schema", k)
		}
	}
	if len(r.InputProperties) != len(inputKeys) || len(r.Properties) != len(inputKeys)+2 {
		t.Errorf("schema inputs %d, properties %d; want %d and %d (plus stdout, stderr)", len(r.InputProperties), len(r.Properties), len(inputKeys), len(inputKeys)+2)
	}
}
