package check

import (
	"context"
	"slices"
	"sync"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// tracedDirectory is the gate's directory client with the trace attached
// to every call. It records what the directory returned, so the report can
// show the identity even when the access rules refuse it.
type tracedDirectory struct {
	dir *directory.Directory
	rec *recorder
	id  *directory.Identity
	err error
}

func (t *tracedDirectory) Authenticate(ctx context.Context, username, password string, guard directory.BindGuard) (*directory.Identity, error) {
	ctx = directory.WithTrace(ctx, &directory.Trace{Step: t.rec.add})
	t.id, t.err = t.dir.Authenticate(ctx, username, password, guard)
	return t.id, t.err
}

func (t *tracedDirectory) Close() { t.dir.Close() }

// recorder keeps the directory's steps in the order they happened.
type recorder struct {
	mu    sync.Mutex
	steps []directory.Step
}

func (r *recorder) add(s directory.Step) {
	r.mu.Lock()
	r.steps = append(r.steps, s)
	r.mu.Unlock()
}

func (r *recorder) list() []directory.Step {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.steps)
}
