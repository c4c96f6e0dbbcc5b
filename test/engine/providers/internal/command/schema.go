package command

// Schema is a minimal Pulumi package schema for what this provider serves
// (resource command:local:Command and function command:local:run of
// @pulumi/command 4.5.0), enough for tools that type-check a program against
// the package (e.g. Pulumi YAML).
const Schema = `{
  "name": "command",
  "version": "4.5.0",
  "description": "Native provider for command:local:Command (test/engine/providers).",
  "resources": {
    "command:local:Command": {
      "description": "Runs a command on the machine running the deployment: create on create, update (or create again) on update, delete on delete.",
      "inputProperties": {
        "create": {"type": "string"},
        "update": {"type": "string"},
        "delete": {"type": "string"},
        "interpreter": {"type": "array", "items": {"type": "string"}},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "stdin": {"type": "string"},
        "dir": {"type": "string"},
        "triggers": {"type": "array", "items": {"$ref": "pulumi.json#/Any"}, "replaceOnChanges": true},
        "assetPaths": {"type": "array", "items": {"type": "string"}},
        "archivePaths": {"type": "array", "items": {"type": "string"}}
      },
      "properties": {
        "create": {"type": "string"},
        "update": {"type": "string"},
        "delete": {"type": "string"},
        "interpreter": {"type": "array", "items": {"type": "string"}},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "stdin": {"type": "string"},
        "dir": {"type": "string"},
        "triggers": {"type": "array", "items": {"$ref": "pulumi.json#/Any"}, "replaceOnChanges": true},
        "assetPaths": {"type": "array", "items": {"type": "string"}},
        "archivePaths": {"type": "array", "items": {"type": "string"}},
        "stdout": {"type": "string"},
        "stderr": {"type": "string"}
      },
      "required": ["stdout", "stderr"]
    }
  },
  "functions": {
    "command:local:run": {
      "inputs": {
        "properties": {
          "command": {"type": "string"},
          "interpreter": {"type": "array", "items": {"type": "string"}},
          "environment": {"type": "object", "additionalProperties": {"type": "string"}},
          "stdin": {"type": "string"},
          "dir": {"type": "string"}
        },
        "required": ["command"]
      },
      "outputs": {
        "properties": {
          "command": {"type": "string"},
          "interpreter": {"type": "array", "items": {"type": "string"}},
          "environment": {"type": "object", "additionalProperties": {"type": "string"}},
          "stdin": {"type": "string"},
          "dir": {"type": "string"},
          "stdout": {"type": "string"},
          "stderr": {"type": "string"}
        },
        "required": ["command", "stdout", "stderr"]
      }
    }
  }
}`
