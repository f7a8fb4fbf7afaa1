package deploy

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/version"
)

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, …
	args string
}

func dockerfile(t *testing.T) []instruction {
	t.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out  []instruction
		cur  strings.Builder
		more bool
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && !more) {
			continue
		}
		cur.WriteString(strings.TrimSuffix(line, `\`))
		cur.WriteString(" ")
		if more = strings.HasSuffix(line, `\`); more {
			continue
		}
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	var froms []string
	final := -1
	for i, in := range ins {
		if in.cmd == "FROM" {
			froms = append(froms, in.args)
			final = i
		}
	}
	if len(froms) < 2 {
		t.Fatalf("%d FROM instructions, want a multi-stage build", len(froms))
	}
	if strings.Contains(froms[len(froms)-1], "golang") {
		t.Errorf("the runtime stage %q is the Go toolchain image", froms[len(froms)-1])
	}
	runtime := ins[final:]
	var (
		user, entrypoint string
		labels           strings.Builder
		copiesBinary     bool
	)
	for _, in := range runtime {
		switch in.cmd {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "LABEL":
			labels.WriteString(in.args)
		case "COPY":
			copiesBinary = copiesBinary || strings.Contains(in.args, "--from=build")
		}
	}
	if !regexp.MustCompile(`^[1-9][0-9]*(:[0-9]+)?$`).MatchString(user) {
		t.Errorf("runtime USER %q, want a numeric non-root user", user)
	}
	if !strings.Contains(entrypoint, "newsflow") {
		t.Errorf("ENTRYPOINT %q does not run newsflow", entrypoint)
	}
	if !copiesBinary {
		t.Error("the runtime stage copies no binary from the build stage")
	}
	for _, l := range []string{"title", "source", "version", "revision", "created", "description"} {
		if !strings.Contains(labels.String(), "org.opencontainers.image."+l+"=") {
			t.Errorf("no OCI label org.opencontainers.image.%s", l)
		}
	}

	var build string
	for _, in := range ins[:final] {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			build = in.args
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/newsflow", "-trimpath",
		"-X github.com/newsflow/newsflow/pkg/version.Version=${VERSION}",
		"-X github.com/newsflow/newsflow/pkg/version.Revision=${REVISION}"} {
		if !strings.Contains(build, want) {
			t.Errorf("the go build step lacks %q: %s", want, build)
		}
	}
	// The -X targets above must exist, or the linker ignores them silently.
	_, _ = version.Version, version.Revision
}

func TestDockerignoreKeepsTheSources(t *testing.T) {
	b, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	patterns := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns[line] = true
		}
	}
	for _, want := range []string{".git", ".env", "bin"} {
		if !patterns[want] {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
	for _, needed := range []string{"go.mod", "go.sum", "cmd", "pkg", "deploy", "deploy/feeds.yaml", "deploy/taxonomy.yaml", "ingest", "enrich", "index", "*.go"} {
		if patterns[needed] {
			t.Errorf(".dockerignore excludes %s, which the build needs", needed)
		}
	}
}

// TestDockerfileBuildCommand runs the build stage's go build command as
// the Dockerfile writes it (without a container engine): it must produce
// a static binary that reports the version and revision given as build
// arguments.
func TestDockerfileBuildCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	var build string
	for _, in := range dockerfile(t) {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			build = in.args
		}
	}
	var words []string
	for _, w := range strings.Fields(build) {
		if !strings.HasPrefix(w, "--mount=") {
			words = append(words, w)
		}
	}
	out := filepath.Join(t.TempDir(), "newsflow")
	script := strings.ReplaceAll(strings.Join(words, " "), "/out/newsflow", out)
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh, "-c", script)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "TARGETOS="+runtime.GOOS, "TARGETARCH="+runtime.GOARCH,
		"VERSION=v9.9.9-dockerfile", "REVISION=0123456789abcdef")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s\n%v\n%s", script, err, b)
	}
	v, err := exec.Command(out, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "newsflow v9.9.9-dockerfile (0123456789abcdef, "; !strings.HasPrefix(string(v), want) {
		t.Errorf("version = %q, want it to start with %q", v, want)
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return // the image's binary is an ELF one; this host builds another format
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatalf("reading the binary as ELF: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked; the distroless static image cannot run it")
		}
	}
}

// ignored reports whether .dockerignore's patterns leave path (relative
// to the repository root, slash-separated) out of the build context: a
// pattern excludes what it matches and everything below, "**/" matches
// any number of directories, and a later "!" pattern takes a path back.
func ignored(patterns []string, path string) bool {
	parts := strings.Split(path, "/")
	out := false
	for _, p := range patterns {
		negate := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		if matchesPrefix(p, parts) {
			out = !negate
		}
	}
	return out
}

// matchesPrefix reports whether pattern matches parts or one of its
// leading directories.
func matchesPrefix(pattern string, parts []string) bool {
	for n := 1; n <= len(parts); n++ {
		if matchPath(strings.Split(pattern, "/"), parts[:n]) {
			return true
		}
	}
	return false
}

func matchPath(pat, parts []string) bool {
	if len(pat) == 0 {
		return len(parts) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(parts); i++ {
			if matchPath(pat[1:], parts[i:]) {
				return true
			}
		}
		return false
	}
	if len(parts) == 0 {
		return false
	}
	ok, err := filepath.Match(pat[0], parts[0])
	return err == nil && ok && matchPath(pat[1:], parts[1:])
}

// TestDockerignoreKeepsWhatTheBuildReads lists every file the build of
// cmd/newsflow reads (Go sources and embedded files of the module's
// packages, go.mod, go.sum, what the Dockerfile copies) and checks that
// .dockerignore keeps each in the build context.
func TestDockerignoreKeepsWhatTheBuildReads(t *testing.T) {
	b, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.TrimSuffix(line, "/"))
		}
	}
	for path, want := range map[string]bool{
		".git/HEAD": true, "bin/newsflow": true, "enrich/topics/testdata/x.json": true, ".env": true,
		".env.example": false, "cmd/newsflow/main.go": false, "deploy/feeds.yaml": false,
	} {
		if got := ignored(patterns, path); got != want {
			t.Errorf("ignored(%s) = %v, want %v: the matcher is wrong", path, got, want)
		}
	}

	cmd := exec.Command("go", "list", "-deps", "-f", `{{if .Module}}{{if .Module.Main}}{{.Dir}}|{{join .GoFiles ","}}|{{join .EmbedFiles ","}}{{end}}{{end}}`, "./cmd/newsflow")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	needed := []string{"go.mod", "go.sum", "deploy/feeds.yaml", "deploy/taxonomy.yaml"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		dir, files, _ := strings.Cut(line, "|")
		gofiles, embeds, _ := strings.Cut(files, "|")
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(strings.Split(gofiles, ","), strings.Split(embeds, ",")...) {
			if f != "" {
				needed = append(needed, filepath.ToSlash(filepath.Join(rel, f)))
			}
		}
	}
	if len(needed) < 20 {
		t.Fatalf("go list found only %d files: %s", len(needed), out)
	}
	for _, f := range needed {
		if ignored(patterns, f) {
			t.Errorf(".dockerignore leaves %s out of the build context, which the image build reads", f)
		}
	}
}
