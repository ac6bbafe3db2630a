// Package cdp drives a headless Chromium through the Chrome DevTools
// Protocol, for browser tests of the development tools.
//
// The protocol runs over --remote-debugging-pipe: Chromium reads
// NUL-terminated JSON commands from file descriptor 3 and writes replies and
// events to descriptor 4. Nothing listens on a port, nothing is downloaded,
// and only the standard library is needed (no WebSocket client, no
// chromedriver whose version must match the browser's).
//
// The API is the small part the tests use: open a page, navigate, evaluate
// JavaScript, click and type like a user (real input events), wait for a
// condition, take a screenshot.
package cdp
