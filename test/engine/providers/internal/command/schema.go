package command

import (
	"encoding/json"
	"maps"
)

// Schema is a minimal Pulumi package schema for what this provider serves
// (resource command:local:Command and function command:local:run of
// @pulumi/command 4.5.0), enough for tools that type-check a program against
// the package (e.g. Pulumi YAML).
var Schema = mustJSON(object{
	"name":        "command",
	"version":     Version,
	"description": "Native provider for command:local:Command (test/engine/providers).",
	"resources": object{
		commandType: object{
			"description":     "Runs a command on the machine running the deployment: create on create, update (or create again) on update, delete on delete.",
			"inputProperties": commandInputs,
			"properties":      merge(commandInputs, runOutputs),
			"required":        []string{"stdout", "stderr"},
		},
	},
	"functions": object{
		runFunction: object{
			"inputs": object{
				"properties": runInputs,
				"required":   []string{"command"},
			},
			"outputs": object{
				"properties": merge(runInputs, runOutputs),
				"required":   []string{"command", "stdout", "stderr"},
			},
		},
	},
})

// object is a JSON object of the schema.
type object = map[string]any

var (
	stringType     = object{"type": "string"}
	stringListType = object{"type": "array", "items": stringType}

	// The resource and the function run commands with the same options and
	// echo their inputs in their outputs, next to what the command printed.
	runOptions = object{
		"interpreter": stringListType,
		"environment": object{"type": "object", "additionalProperties": stringType},
		"stdin":       stringType,
		"dir":         stringType,
	}
	runOutputs    = object{"stdout": stringType, "stderr": stringType}
	commandInputs = merge(runOptions, object{
		"create":       stringType,
		"update":       stringType,
		"delete":       stringType,
		"triggers":     object{"type": "array", "items": object{"$ref": "pulumi.json#/Any"}, "replaceOnChanges": true},
		"assetPaths":   stringListType,
		"archivePaths": stringListType,
	})
	runInputs = merge(runOptions, object{"command": stringType})
)

// merge returns a new object with the properties of all of objs.
func merge(objs ...object) object {
	out := object{}
	for _, o := range objs {
		maps.Copy(out, o)
	}
	return out
}

func mustJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // only plain maps, strings and slices: cannot fail
	}
	return string(b)
}
