package bridged

import (
	"strings"
	"unicode"
)

// Camel turns a Terraform snake_case name into UpperCamelCase.
func Camel(s string) string {
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

// TokenOf builds the standard token pkg:index/lowerFirst(name):name.
func TokenOf(pkg, name string) string {
	r := []rune(name)
	r[0] = unicode.ToLower(r[0])
	return pkg + ":index/" + string(r) + ":" + name
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }
