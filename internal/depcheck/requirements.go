package depcheck

import (
	"fmt"
	"go/version"

	"golang.org/x/mod/semver"
)

// CheckRequirements checks a plugin module before anything is built: its
// go line, and the version of every module in its requirement graph (as
// `go list -m all` prints it), against a gateway's go.mod (or facts derived
// from one).
//
// The plugin compiler builds the plugin in a Go workspace with the gateway
// source, where minimal version selection takes the higher of the two
// modules' versions of anything they share. A plugin module that asks for a
// newer version of a module the gateway links makes the gateway's own
// packages compile against that newer version inside the plugin, and the
// gateway then refuses the plugin. So every shared module must be at or
// below the gateway's version. Likewise the compiler image's Go release is
// the gateway's, which its go line bounds from below: a plugin whose go line
// is higher than the gateway's may need a newer Go than the image has.
func CheckRequirements(module, gateway *Info) Report {
	var r Report
	switch {
	case module.GoLine == "":
		r.Notes = append(r.Notes, fmt.Sprintf("go line not compared: %s does not give it", module.Source))
	case gateway.GoLine == "":
		r.Notes = append(r.Notes, fmt.Sprintf("go line not compared: %s does not give it", gateway.Source))
	case !version.IsValid("go"+module.GoLine) || !version.IsValid("go"+gateway.GoLine):
		r.Problems = append(r.Problems, Problem{Kind: KindGoLine, Name: "go", Plugin: module.GoLine, Gateway: gateway.GoLine})
	case version.Compare("go"+module.GoLine, "go"+gateway.GoLine) > 0:
		r.Problems = append(r.Problems, Problem{Kind: KindGoLine, Name: "go", Plugin: module.GoLine, Gateway: gateway.GoLine})
	}
	for _, s := range gateway.Skipped {
		r.Notes = append(r.Notes, fmt.Sprintf("%s: directive %q not understood by this check and ignored", gateway.Source, s))
	}

	for _, path := range module.ModulePaths() {
		pm := module.Modules[path]
		if path == gateway.MainModule {
			r.Notes = append(r.Notes, fmt.Sprintf("module %s is the gateway itself: the build workspace uses the gateway's source instead of %s", path, pm.Effective()))
			continue
		}
		gm, shared := gateway.Modules[path]
		if !shared {
			r.PluginOnly = append(r.PluginOnly, path)
			continue
		}
		if p := requirementProblem(pm, gm); p != nil {
			r.Problems = append(r.Problems, *p)
			continue
		}
		r.Shared = append(r.Shared, path)
	}
	return r
}

// requirementProblem compares one shared module. A replacement in the
// plugin module applies to the whole workspace, gateway included, so it is
// only harmless when it is the gateway's own replacement.
func requirementProblem(pm, gm Module) *Problem {
	if pm.Replace != nil {
		if gm.Replace == nil || *pm.Replace != *gm.Replace {
			return &Problem{Kind: KindReplace, Name: pm.Path, Plugin: pm.Effective(), Gateway: gm.Effective()}
		}
		return nil
	}
	if !semver.IsValid(pm.Version) || !semver.IsValid(gm.Version) {
		return &Problem{Kind: KindRequirement, Name: pm.Path, Plugin: pm.Version, Gateway: gm.Version}
	}
	if semver.Compare(pm.Version, gm.Version) > 0 {
		return &Problem{Kind: KindRequirement, Name: pm.Path, Plugin: pm.Version, Gateway: gm.Version}
	}
	return nil
}
