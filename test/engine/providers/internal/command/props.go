package command

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Inputs of command:local:Command as @pulumi/command 4.5.0 sends them.
var inputKeys = []resource.PropertyKey{
	"create", "update", "delete", "interpreter", "environment", "stdin", "dir",
	"triggers", "assetPaths", "archivePaths",
}

// Inputs this implementation runs commands with; a secret among them makes
// stdout and stderr secret too (we cannot know what the command prints).
var runKeys = []resource.PropertyKey{"create", "update", "interpreter", "environment", "stdin", "dir"}

// spec is the decoded form of the inputs that drive a command run.
type spec struct {
	Create, Update, Delete, Stdin, Dir *string
	Interpreter                        []string
	Environment                        map[string]string
	// Secret: some input is a Pulumi secret; a failed run's error then shows neither the command
	// nor its output (run.go runError).
	Secret bool
}

// onlyInputs keeps the input keys of a property map (state holds inputs plus
// stdout/stderr).
func onlyInputs(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for _, k := range inputKeys {
		if v, ok := m[k]; ok && !v.IsNull() {
			out[k] = v
		}
	}
	return out
}

// unsecret strips secret markers (recursively) so values compare by content.
func unsecret(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return unsecret(v.SecretValue().Element)
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = unsecret(e)
		}
		return resource.NewArrayProperty(arr)
	case v.IsObject():
		obj := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			obj[k] = unsecret(e)
		}
		return resource.NewObjectProperty(obj)
	}
	return v
}

func anySecret(m resource.PropertyMap, keys []resource.PropertyKey) bool {
	for _, k := range keys {
		if v, ok := m[k]; ok && v.ContainsSecrets() {
			return true
		}
	}
	return false
}

// check validates the types of the inputs; it returns one message per bad input.
func check(m resource.PropertyMap) map[string]string {
	bad := map[string]string{}
	for k, v := range m {
		v = unsecret(v)
		if v.IsNull() || v.ContainsUnknowns() {
			continue
		}
		switch k {
		case "create", "update", "delete", "stdin", "dir":
			if !v.IsString() {
				bad[string(k)] = fmt.Sprintf("%s must be a string, got %s", k, v.TypeString())
			}
		case "interpreter", "assetPaths", "archivePaths":
			if !v.IsArray() {
				bad[string(k)] = fmt.Sprintf("%s must be a list of strings, got %s", k, v.TypeString())
				continue
			}
			for _, e := range v.ArrayValue() {
				if !e.IsString() {
					bad[string(k)] = fmt.Sprintf("%s must be a list of strings", k)
				}
			}
			if k != "interpreter" && len(v.ArrayValue()) > 0 {
				bad[string(k)] = fmt.Sprintf("%s is not supported by this build of the command provider", k)
			}
			if k == "interpreter" && len(v.ArrayValue()) == 0 {
				bad[string(k)] = "interpreter must not be empty"
			}
		case "environment":
			if !v.IsObject() {
				bad[string(k)] = fmt.Sprintf("environment must be a map of strings, got %s", v.TypeString())
				continue
			}
			for ek, e := range v.ObjectValue() {
				if !e.IsString() {
					bad[string(k)] = fmt.Sprintf("environment.%s must be a string", ek)
				}
			}
		case "triggers":
			if !v.IsArray() {
				bad[string(k)] = fmt.Sprintf("triggers must be a list, got %s", v.TypeString())
			}
		default:
			bad[string(k)] = fmt.Sprintf("unknown property %q", k)
		}
	}
	return bad
}

// decode reads the run-relevant inputs (already checked; no unknowns).
func decode(m resource.PropertyMap) spec {
	s := spec{Secret: m.ContainsSecrets()}
	str := func(k resource.PropertyKey) *string {
		v := unsecret(m[k])
		if !v.IsString() {
			return nil
		}
		x := v.StringValue()
		return &x
	}
	s.Create, s.Update, s.Delete, s.Stdin, s.Dir = str("create"), str("update"), str("delete"), str("stdin"), str("dir")
	if v := unsecret(m["interpreter"]); v.IsArray() {
		for _, e := range v.ArrayValue() {
			s.Interpreter = append(s.Interpreter, e.StringValue())
		}
	}
	if v := unsecret(m["environment"]); v.IsObject() {
		s.Environment = map[string]string{}
		for k, e := range v.ObjectValue() {
			if e.IsString() {
				s.Environment[string(k)] = e.StringValue()
			}
		}
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
