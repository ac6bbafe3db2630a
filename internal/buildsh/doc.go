// Package buildsh tests what build.sh and the demo script promise an
// operator at the command line: help lists every setting, a missing Go says
// where to get it, check reuses its binary, and a taken demo port names the
// setting that moves it.
package buildsh
