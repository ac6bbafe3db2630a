package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// jsonPosition adds the line and column of a JSON syntax or type error to
// it, so an operator can go straight to the mistake in a large definition.
// Positions count in the text the gateway decodes (after env://
// substitution), which has the file's lines unless a substituted value
// holds a line break.
func jsonPosition(text []byte, err error) error {
	var offset int64
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	default:
		return err
	}
	line, col := lineColumn(text, offset)
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// lineColumn turns a byte offset into a 1-based line and column (in bytes).
// encoding/json reports the offset just past the byte it could not use.
func lineColumn(text []byte, offset int64) (line, col int) {
	offset = min(max(offset, 1), int64(len(text)))
	before := text[:offset-1]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
