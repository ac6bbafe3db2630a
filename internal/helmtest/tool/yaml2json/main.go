// Command yaml2json turns a stream of YAML documents (helm template's
// output, a CRD, a manifest file) into one JSON array on stdout, so the
// Kubernetes recipe tests in the main module can read them with the
// standard library alone. Empty documents are dropped.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"

	"sigs.k8s.io/yaml"
)

var separator = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "yaml2json:", err)
		os.Exit(1)
	}
	docs := []json.RawMessage{}
	for i, doc := range separator.Split(string(in), -1) {
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			fmt.Fprintf(os.Stderr, "yaml2json: document %d: %v\n", i+1, err)
			os.Exit(1)
		}
		if t := bytes.TrimSpace(j); len(t) == 0 || bytes.Equal(t, []byte("null")) {
			continue
		}
		docs = append(docs, j)
	}
	if err := json.NewEncoder(os.Stdout).Encode(docs); err != nil {
		fmt.Fprintln(os.Stderr, "yaml2json:", err)
		os.Exit(1)
	}
}
