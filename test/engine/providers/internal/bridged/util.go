package bridged

import (
	"strings"
	"unicode"
)

// camel turns a Terraform snake_case name into UpperCamelCase.
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "_") {
		if part == "" {
			continue
		}
		r := []rune(part)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// tokenOf builds the standard token pkg:index/lowerFirst(name):name.
func tokenOf(pkg, name string) string {
	r := []rune(name)
	r[0] = unicode.ToLower(r[0])
	return pkg + ":index/" + string(r) + ":" + name
}
