package langhost

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Options are the project's `runtime.options` for nodejs that this host honours.
type Options struct {
	// TypeScript false: the program is run as JavaScript (or through a loader in NodeArgs); the
	// SDK's built-in ts-node is not registered. Default true, as upstream.
	TypeScript bool
	// NodeArgs are extra arguments for node, before the SDK's entry script (e.g. "--import tsx").
	NodeArgs []string
	// TSConfigPath is passed to the SDK as PULUMI_NODEJS_TSCONFIG_PATH when set.
	TSConfigPath string
}

// ParseOptions reads runtime.options as the engine sends them (a JSON object).
func ParseOptions(raw map[string]any) (Options, error) {
	o := Options{TypeScript: true}
	for k, v := range raw {
		switch k {
		case "typescript":
			b, err := asBool(v)
			if err != nil {
				return o, fmt.Errorf("runtime option typescript: %w", err)
			}
			o.TypeScript = b
		case "nodeargs":
			s, ok := v.(string)
			if !ok {
				return o, fmt.Errorf("runtime option nodeargs must be a string, got %T", v)
			}
			o.NodeArgs = strings.Fields(s)
		case "tsconfig":
			s, ok := v.(string)
			if !ok {
				return o, fmt.Errorf("runtime option tsconfig must be a string, got %T", v)
			}
			o.TSConfigPath = s
		}
		// Other options (packagemanager, ...) only matter to `pulumi install`, which this host
		// leaves to npm.
	}
	return o, nil
}

func asBool(v any) (bool, error) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		return strconv.ParseBool(t)
	default:
		return false, fmt.Errorf("want a boolean, got %T", v)
	}
}

// RunSpec is what the engine's RunRequest says about one program run.
type RunSpec struct {
	Entry            string // the SDK's cmd/run script, resolved from the program directory
	Program          string // entry point relative to Pwd ("." = package.json main)
	Pwd              string
	RootDirectory    string
	Organization     string
	Project          string
	Stack            string
	MonitorAddress   string
	EngineAddress    string
	DryRun           bool
	Parallel         int32
	Config           map[string]string
	ConfigSecretKeys []string
	Args             []string
}

// RunArgs is node's argument list for a program run, in the form the SDK's cmd/run parses
// (minimist flags before the program, the program's own arguments after it).
func RunArgs(o Options, s RunSpec) []string {
	args := append([]string{}, o.NodeArgs...)
	args = append(args, s.Entry)
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name+"="+value)
		}
	}
	flag("organization", s.Organization)
	flag("project", s.Project)
	flag("stack", s.Stack)
	flag("root-directory", s.RootDirectory)
	flag("pwd", s.Pwd)
	flag("monitor", s.MonitorAddress)
	flag("engine", s.EngineAddress)
	if s.Parallel > 0 {
		flag("parallel", strconv.Itoa(int(s.Parallel)))
	}
	if s.DryRun {
		args = append(args, "--dry-run")
	}
	program := s.Program
	if program == "" {
		program = "."
	}
	args = append(args, program)
	return append(args, s.Args...)
}

// RunEnv is the environment a program run adds to the host's own: config and secret keys as the
// SDK reads them (runtime/config), and the TypeScript switches.
func RunEnv(o Options, s RunSpec) ([]string, error) {
	cfg := s.Config
	if cfg == nil {
		cfg = map[string]string{}
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	keys := append([]string{}, s.ConfigSecretKeys...)
	sort.Strings(keys)
	keysJSON, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	env := []string{
		"PULUMI_CONFIG=" + string(cfgJSON),
		"PULUMI_CONFIG_SECRET_KEYS=" + string(keysJSON),
		"PULUMI_NODEJS_TYPESCRIPT=" + strconv.FormatBool(o.TypeScript),
	}
	if o.TSConfigPath != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+o.TSConfigPath)
	}
	return env, nil
}

// PluginEntry is the SDK script that serves a plugin of the given kind written in Node.js.
func PluginEntry(kind string) (string, error) {
	switch kind {
	case "analyzer":
		return "@pulumi/pulumi/cmd/run-policy-pack", nil
	case "resource", "converter", "tool", "":
		return "@pulumi/pulumi/cmd/run-plugin", nil
	default:
		return "", fmt.Errorf("plugins of kind %q are not supported by this Node.js language host", kind)
	}
}

// PluginArgs is node's argument list for a plugin. The SDK scripts differ: run-policy-pack takes
// `<engine-address> <program> [args]`, run-plugin takes `<program> [args]`; the engine's own
// arguments (for a policy pack: its address) come from RunPluginRequest.args.
func PluginArgs(o Options, kind, entry, programDir string, engineArgs []string) []string {
	args := append([]string{}, o.NodeArgs...)
	args = append(args, entry)
	if kind == "analyzer" && len(engineArgs) > 0 {
		args = append(args, engineArgs[0], programDir)
		return append(args, engineArgs[1:]...)
	}
	args = append(args, programDir)
	return append(args, engineArgs...)
}

// ExitResult maps a program's exit code to the engine's RunResponse fields. 32 is the SDK's
// "an error was already reported to the user" code: bail without a second message.
func ExitResult(code int) (errText string, bail bool) {
	switch code {
	case 0:
		return "", false
	case 32:
		return "", true
	default:
		return fmt.Sprintf("Program exited with non-zero exit code: %d", code), false
	}
}
