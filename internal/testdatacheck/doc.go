// Package testdatacheck holds only tests: they check that the operator-facing
// files in testdata/ (API definitions, policies, gateway configuration, the
// compose file) parse, fit together and use the plugin the way it expects.
package testdatacheck
