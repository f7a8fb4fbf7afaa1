// Package version holds the build's version, stamped in at link time:
// go build -ldflags "-X github.com/newsflow/newsflow/pkg/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is the release version of the build, "dev" when not stamped.
var Version = "dev"

// Revision is the VCS revision, stamped in at link time where the build
// has no repository to read it from (a container build):
// -X github.com/newsflow/newsflow/pkg/version.Revision=abc123.
var Revision = ""

// Commit returns the VCS revision the binary was built from, when known:
// Revision when stamped, else what the Go toolchain recorded.
func Commit() string {
	if Revision != "" {
		return Revision
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}
