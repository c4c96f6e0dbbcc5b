// Stack files (test/fixtures/config) that every config CLI reads through the same stack-file reader
// and must refuse with a coded finding, never a stack trace: [case, file, code].
export const UNREADABLE_STACK_FILES: [string, string, string][] = [
  ["empty file", "empty.yaml", "E_CONFIG_FILE_EMPTY"],
  ["YAML syntax error", "syntax-error.yaml", "E_CONFIG_YAML_SYNTAX"],
  ["newer schemaVersion", "newer-version.yaml", "E_CONFIG_SCHEMA_VERSION"],
];
