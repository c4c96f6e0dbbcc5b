package command

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// diffResult is what Diff reports, independent of the gRPC types.
type diffResult struct {
	Changed  []string // input keys whose value changed (sorted)
	Replaces []string // the subset that forces a replacement
}

// diffInputs compares old and new inputs the way @pulumi/command 4.5.0
// documents them: a change of `triggers` replaces the resource ("Trigger
// replacements on changes to this input"); any other change is an in-place
// update, which runs `update`, or `create` again when `update` is empty ("The
// command to run on update, if empty, create will run again"). Secretness
// alone is not a change; an unknown value counts as a change.
func diffInputs(olds, news resource.PropertyMap) diffResult {
	olds, news = onlyInputs(olds), onlyInputs(news)
	var r diffResult
	seen := map[resource.PropertyKey]bool{}
	for _, m := range []resource.PropertyMap{olds, news} {
		for k := range m {
			if seen[k] {
				continue
			}
			seen[k] = true
			o, n := unsecret(olds[k]), unsecret(news[k])
			if !n.ContainsUnknowns() && o.DeepEquals(n) {
				continue
			}
			r.Changed = append(r.Changed, string(k))
			if k == "triggers" {
				r.Replaces = append(r.Replaces, string(k))
			}
		}
	}
	sort.Strings(r.Changed)
	return r
}
