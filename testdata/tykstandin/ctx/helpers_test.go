// STAND-IN test helper (not Tyk code).
package ctx

import (
	"context"
	"net/http"
)

func contextWith(r *http.Request, k Key, v interface{}) context.Context {
	return context.WithValue(r.Context(), k, v)
}
