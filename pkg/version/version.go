// Package version holds the build's version, stamped in at link time:
// go build -ldflags "-X github.com/newsflow/newsflow/pkg/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is the release version of the build, "dev" when not stamped.
var Version = "dev"

// Commit returns the VCS revision the binary was built from, when known.
func Commit() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}
