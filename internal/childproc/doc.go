// Package childproc runs the long-lived helper programs of the development
// tools (php's built-in web server, Chromium) as children that cannot
// outlive their parent: each runs in its own process group, is killed by
// the kernel when the parent dies (Linux), and is stopped as a group, so a
// browser's renderer processes go with it.
package childproc
