// Package helmtest renders the Kubernetes recipes of docs/kubernetes.md
// (testdata/kubernetes/) with TykTechnologies' own charts and a real helm,
// and checks that every path, variable and user the recipes rely on is
// where the rendered manifests put it.
//
// helm and a YAML-to-JSON converter come from the module in tool/, which
// is kept out of this module's graph (helm pulls in hundreds of modules).
// The charts come from a TykTechnologies/tyk-charts checkout or bare git
// directory named by TYK_CHARTS, at the commit in charts-commit.txt. No
// Kubernetes cluster is involved: the manifests are checked, not applied.
package helmtest
