// Package testutil holds test helpers that the tests of several packages
// need: a working directory for one test, a recorder of t.Fatal for tests of
// helpers that must fail, a buffer goroutines share, a loopback address
// nobody listens on, files written and read in one call, reading a shell
// environment file, running a command's run function in the background,
// and re-running the test binary as a helper process that abandons a
// server.
package testutil
