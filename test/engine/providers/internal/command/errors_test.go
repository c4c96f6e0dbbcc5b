package command

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// A failed command's error reaches the engine's log, the CLI's output and the run bundle: it never
// carries what the command was given on stdin or in its environment, nor a secret input, even when
// the command prints them.
func TestErrorsNeverCarrySecretInputs(t *testing.T) {
	str := resource.NewStringProperty
	env := func(k, v string) resource.PropertyValue {
		return resource.NewObjectProperty(resource.PropertyMap{resource.PropertyKey(k): str(v)})
	}
	cases := []struct {
		name   string
		in     resource.PropertyMap
		secret []string // must not appear in the error
		shown  []string // must appear (the error stays useful)
	}{
		{"stdin echoed back",
			resource.PropertyMap{"create": str("cat; echo failing >&2; exit 3"), "stdin": str("line-one\nStd1n-S3cret-Value\n")},
			[]string{"Std1n-S3cret-Value"}, []string{"exit status 3", "failing"}},
		{"an environment value echoed back",
			resource.PropertyMap{"create": str(`echo "token=$TOKEN" >&2; exit 4`), "environment": env("TOKEN", "Env-T0ken-Value")},
			[]string{"Env-T0ken-Value"}, []string{"exit status 4", "token=", "$TOKEN"}},
		{"a secret environment: command and output withheld",
			resource.PropertyMap{"create": str(`echo "$TOKEN" | rev >&2; exit 5`), "environment": resource.MakeSecret(env("TOKEN", "abc-Secret-Env"))},
			[]string{"abc-Secret-Env", "vnE-terceS-cba"}, []string{"exit status 5", "secret"}},
		{"a secret command: never shown",
			resource.PropertyMap{"create": resource.MakeSecret(str("echo Secret-Cmd-Arg >/dev/null; exit 6"))},
			[]string{"Secret-Cmd-Arg"}, []string{"exit status 6"}},
	}
	p := New()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: st(t, c.in)})
			if err == nil {
				t.Fatal("the command failed but Create did not")
			}
			for _, s := range c.secret {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error carries %q: %v", s, err)
				}
			}
			for _, s := range c.shown {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q: %v", s, err)
				}
			}
		})
	}
}

// The delete command and command:local:run fail the same way.
func TestDeleteAndInvokeErrorsNeverCarryStdin(t *testing.T) {
	p := New()
	state := resource.PropertyMap{"create": resource.NewStringProperty("true"), "delete": resource.NewStringProperty("cat >&2; exit 1"), "stdin": resource.NewStringProperty("Del-Std1n-S3cret")}
	_, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urn, Properties: st(t, state)})
	if err == nil || strings.Contains(err.Error(), "Del-Std1n-S3cret") {
		t.Errorf("delete error = %v", err)
	}
	args := resource.PropertyMap{"command": resource.NewStringProperty("cat; exit 1"), "stdin": resource.NewStringProperty("Inv-Std1n-S3cret")}
	_, err = p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: runFunction, Args: st(t, args)})
	if err == nil || strings.Contains(err.Error(), "Inv-Std1n-S3cret") {
		t.Errorf("invoke error = %v", err)
	}
}

// What a command prints is kept up to a cap, never buffered without bound (state and error alike).
func TestOutputIsBounded(t *testing.T) {
	p := New()
	in := resource.PropertyMap{"create": resource.NewStringProperty("head -c 20000000 /dev/zero | tr '\\0' a")}
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: st(t, in)})
	if err != nil {
		t.Fatal(err)
	}
	out := back(t, resp.Properties)["stdout"].StringValue()
	if len(out) > maxOutputBytes+200 || !strings.HasSuffix(out, "bytes]") {
		t.Errorf("stdout is %d bytes, ends %q", len(out), out[max(0, len(out)-60):])
	}
}
