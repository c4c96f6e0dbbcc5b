// Package langhost holds the pure parts of this project's Node.js language host: which resource
// plugins a program needs, and the command line and environment a program or plugin runs with.
// cmd/pulumi-language-nodejs wires them to the engine's LanguageRuntime gRPC service.
package langhost

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Package is a resource plugin a Node.js package declares in its package.json `pulumi` block.
type Package struct {
	Name    string
	Version string
	Server  string
}

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// RequiredPackages walks <dir>/node_modules (scoped packages and nested node_modules included) and
// returns every package whose package.json says `"pulumi": {"resource": true}`, deduplicated by
// name and version and sorted. The version is the `pulumi.version` when present, else the npm
// version without a leading "v" (what the SDKs' getVersion() sends with every registration), so
// the engine can install or find exactly the plugin the program will ask for.
func RequiredPackages(dir string) ([]Package, error) {
	seen := map[string]Package{}
	if err := walkNodeModules(filepath.Join(dir, "node_modules"), seen, 0); err != nil {
		return nil, err
	}
	out := make([]Package, 0, len(seen))
	for _, p := range seen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

// maxDepth bounds nested node_modules (npm dedupes; anything deeper is a broken tree).
const maxDepth = 8

func walkNodeModules(nm string, seen map[string]Package, depth int) error {
	if depth > maxDepth {
		return nil
	}
	entries, err := os.ReadDir(nm)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() && e.Type()&os.ModeSymlink == 0 {
			continue
		}
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if strings.HasPrefix(name, "@") {
			scoped, err := os.ReadDir(filepath.Join(nm, name))
			if err != nil {
				continue
			}
			for _, s := range scoped {
				if err := visitPackage(filepath.Join(nm, name, s.Name()), seen, depth); err != nil {
					return err
				}
			}
			continue
		}
		if err := visitPackage(filepath.Join(nm, name), seen, depth); err != nil {
			return err
		}
	}
	return nil
}

func visitPackage(dir string, seen map[string]Package, depth int) error {
	if p, ok := readPluginPackage(filepath.Join(dir, "package.json")); ok {
		seen[p.Name+"@"+p.Version] = p
	}
	return walkNodeModules(filepath.Join(dir, "node_modules"), seen, depth+1)
}

func readPluginPackage(file string) (Package, bool) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return Package{}, false
	}
	var pj packageJSON
	if json.Unmarshal(raw, &pj) != nil || pj.Pulumi == nil || !pj.Pulumi.Resource {
		return Package{}, false
	}
	name := pj.Pulumi.Name
	if name == "" {
		name = strings.TrimPrefix(pj.Name, "@pulumi/")
	}
	version := pj.Pulumi.Version
	if version == "" {
		version = pj.Version
	}
	version = strings.TrimPrefix(version, "v")
	if name == "" || version == "" {
		return Package{}, false
	}
	return Package{Name: name, Version: version, Server: pj.Pulumi.Server}, true
}
