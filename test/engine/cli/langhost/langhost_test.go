package langhost

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func writeJSON(t *testing.T, file, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRequiredPackages(t *testing.T) {
	dir := t.TempDir()
	nm := filepath.Join(dir, "node_modules")
	// A scoped resource package whose npm version carries a "v" (as @pulumi/command's does).
	writeJSON(t, filepath.Join(nm, "@pulumi/command/package.json"), `{"name":"@pulumi/command","version":"v4.5.0","pulumi":{"resource":true,"name":"command"}}`)
	// pulumi.version wins over the npm version; the name comes from the package when pulumi.name is absent.
	writeJSON(t, filepath.Join(nm, "@pulumi/docker/package.json"), `{"name":"@pulumi/docker","version":"5.2.0-alpha","pulumi":{"resource":true,"version":"5.2.0"}}`)
	// Nested copy of another version, and a duplicate that must be reported once.
	writeJSON(t, filepath.Join(nm, "@pulumi/docker/node_modules/@pulumi/random/package.json"), `{"name":"@pulumi/random","version":"4.20.0","pulumi":{"resource":true,"name":"random"}}`)
	writeJSON(t, filepath.Join(nm, "@pulumi/random/package.json"), `{"name":"@pulumi/random","version":"4.21.2","pulumi":{"resource":true,"name":"random","server":"https://example.invalid"}}`)
	writeJSON(t, filepath.Join(nm, "other/node_modules/@pulumi/random/package.json"), `{"name":"@pulumi/random","version":"4.21.2","pulumi":{"resource":true,"name":"random","server":"https://example.invalid"}}`)
	// Not plugins: the SDK itself (no resource flag), a broken package.json, a non-package dir.
	writeJSON(t, filepath.Join(nm, "@pulumi/pulumi/package.json"), `{"name":"@pulumi/pulumi","version":"3.276.0","pulumi":{"comment":"x"}}`)
	writeJSON(t, filepath.Join(nm, "broken/package.json"), `{`)
	if err := os.MkdirAll(filepath.Join(nm, ".bin"), 0o755); err != nil {
		t.Fatal(err)
	}

	got, err := RequiredPackages(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Package{
		{Name: "command", Version: "4.5.0"},
		{Name: "docker", Version: "5.2.0"},
		{Name: "random", Version: "4.20.0"},
		{Name: "random", Version: "4.21.2", Server: "https://example.invalid"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("RequiredPackages:\n got %+v\nwant %+v", got, want)
	}
}

func TestRequiredPackagesWithoutNodeModules(t *testing.T) {
	got, err := RequiredPackages(t.TempDir())
	if err != nil || len(got) != 0 {
		t.Fatalf("want no packages and no error, got %v %v", got, err)
	}
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions(map[string]any{"typescript": false, "nodeargs": "--import tsx  --enable-source-maps", "packagemanager": "npm"})
	if err != nil {
		t.Fatal(err)
	}
	if o.TypeScript || !reflect.DeepEqual(o.NodeArgs, []string{"--import", "tsx", "--enable-source-maps"}) {
		t.Fatalf("unexpected options %+v", o)
	}
	if o, _ := ParseOptions(nil); !o.TypeScript {
		t.Fatal("typescript defaults to true")
	}
	if o, _ := ParseOptions(map[string]any{"typescript": "false"}); o.TypeScript {
		t.Fatal(`typescript "false" (a string in YAML) must turn it off`)
	}
	if _, err := ParseOptions(map[string]any{"nodeargs": 3}); err == nil {
		t.Fatal("a non-string nodeargs must be refused")
	}
}

func TestRunArgsAndEnv(t *testing.T) {
	o := Options{TypeScript: false, NodeArgs: []string{"--import", "tsx"}}
	s := RunSpec{
		Entry: "/p/node_modules/@pulumi/pulumi/cmd/run/index.js", Pwd: "/p", RootDirectory: "/p",
		Organization: "organization", Project: "proj", Stack: "dev", MonitorAddress: "127.0.0.1:1",
		EngineAddress: "127.0.0.1:2", DryRun: true, Parallel: 16, Args: []string{"a"},
		Config: map[string]string{"proj:k": "v"}, ConfigSecretKeys: []string{"proj:z", "proj:a"},
	}
	want := []string{
		"--import", "tsx", s.Entry,
		"--organization=organization", "--project=proj", "--stack=dev", "--root-directory=/p", "--pwd=/p",
		"--monitor=127.0.0.1:1", "--engine=127.0.0.1:2", "--parallel=16", "--dry-run", ".", "a",
	}
	if got := RunArgs(o, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("RunArgs:\n got %q\nwant %q", got, want)
	}
	env, err := RunEnv(o, s)
	if err != nil {
		t.Fatal(err)
	}
	wantEnv := []string{`PULUMI_CONFIG={"proj:k":"v"}`, `PULUMI_CONFIG_SECRET_KEYS=["proj:a","proj:z"]`, "PULUMI_NODEJS_TYPESCRIPT=false"}
	if !reflect.DeepEqual(env, wantEnv) {
		t.Fatalf("RunEnv:\n got %q\nwant %q", env, wantEnv)
	}
}

func TestPluginArgs(t *testing.T) {
	o := Options{NodeArgs: []string{"--import", "tsx"}}
	got := PluginArgs(o, "analyzer", "/pack/run-policy-pack", "/pack", []string{"127.0.0.1:9"})
	want := []string{"--import", "tsx", "/pack/run-policy-pack", "127.0.0.1:9", "/pack"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("analyzer: got %q want %q", got, want)
	}
	got = PluginArgs(Options{}, "resource", "/pl/run-plugin", "/pl", []string{"127.0.0.1:9"})
	want = []string{"/pl/run-plugin", "/pl", "127.0.0.1:9"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("resource: got %q want %q", got, want)
	}
	if _, err := PluginEntry("language"); err == nil {
		t.Fatal("language plugins cannot be run by a language host")
	}
}

func TestExitResult(t *testing.T) {
	for _, c := range []struct {
		code int
		err  string
		bail bool
	}{{0, "", false}, {32, "", true}, {1, "Program exited with non-zero exit code: 1", false}} {
		e, b := ExitResult(c.code)
		if e != c.err || b != c.bail {
			t.Fatalf("ExitResult(%d) = %q %v", c.code, e, b)
		}
	}
}
