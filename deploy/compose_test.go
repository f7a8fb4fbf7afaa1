package deploy

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/newsflow/newsflow/pkg/config"
)

const (
	composeFile = "../docker-compose.yml"
	envExample  = "../.env.example"
)

// stages are the long-running newsflow services, each run by the
// subcommand of its name.
var stages = []string{"ingest", "enrich", "index"}

// loadCompose loads docker-compose.yml as `docker compose --profile
// monitoring` would with .env.example as .env, and nothing from this
// process's environment.
func loadCompose(t *testing.T, envFile string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithWorkingDirectory(".."),
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
		cli.WithProfiles([]string{"monitoring"}),
	)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return opts.LoadProject(ctx)
}

func project(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadCompose(t, envExample)
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

// oneShots are the services others wait on to complete: they run once
// and exit.
func oneShots(p *types.Project) map[string]bool {
	out := map[string]bool{}
	for _, s := range p.Services {
		for name, dep := range s.DependsOn {
			if dep.Condition == types.ServiceConditionCompletedSuccessfully {
				out[name] = true
			}
		}
	}
	return out
}

func TestComposeParses(t *testing.T) {
	p := project(t)
	want := []string{"kafka", "elasticsearch", "elasticsearch-users", "kibana", "setup", "ingest", "enrich", "index", "prometheus", "grafana"}
	for _, name := range want {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %s is missing", name)
		}
	}
}

func TestComposeNeedsThePasswords(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.env")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadCompose(t, empty)
	if err == nil || !strings.Contains(err.Error(), "PASSWORD") {
		t.Errorf("loading without .env = %v, want an error asking for a password", err)
	}
}

var tagged = regexp.MustCompile(`^[a-z0-9][a-z0-9._/-]*(:[0-9]+)?(/[a-z0-9._-]+)*:([A-Za-z0-9_][A-Za-z0-9_.-]*)$`)

func TestEveryImageIsPinned(t *testing.T) {
	for name, s := range project(t).Services {
		m := tagged.FindStringSubmatch(s.Image)
		if m == nil {
			t.Errorf("%s: image %q has no tag", name, s.Image)
			continue
		}
		tag := m[3]
		if tag == "latest" || !regexp.MustCompile(`\d`).MatchString(tag) {
			t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
		}
	}
}

func TestLongRunningServicesAreHealthCheckedAndRestarted(t *testing.T) {
	p := project(t)
	once := oneShots(p)
	for name, s := range p.Services {
		if once[name] {
			if s.Restart != types.RestartPolicyNo {
				t.Errorf("%s runs once, but restart is %q, want \"no\"", name, s.Restart)
			}
			continue
		}
		if s.Restart != types.RestartPolicyUnlessStopped && s.Restart != types.RestartPolicyAlways {
			t.Errorf("%s: restart %q, want unless-stopped or always", name, s.Restart)
		}
		hc := s.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) < 2 || hc.Test[0] == "NONE" {
			t.Errorf("%s runs for good but has no health check", name)
			continue
		}
		if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
			t.Errorf("%s: health check lacks interval, timeout or retries", name)
		}
	}
}

func TestEveryServiceHasAMemoryLimit(t *testing.T) {
	for name, s := range project(t).Services {
		if s.Deploy == nil || s.Deploy.Resources.Limits == nil || s.Deploy.Resources.Limits.MemoryBytes <= 0 {
			t.Errorf("%s has no memory limit", name)
		}
	}
}

func TestDependenciesWaitOnHealthOrCompletion(t *testing.T) {
	p := project(t)
	once := oneShots(p)
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			target, ok := p.Services[dep]
			if !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
				continue
			}
			switch d.Condition {
			case types.ServiceConditionHealthy:
				if target.HealthCheck == nil || target.HealthCheck.Disable {
					t.Errorf("%s waits for %s to be healthy, which has no health check", name, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
				if !once[dep] {
					t.Errorf("%s waits for %s to complete, which is not a one-shot", name, dep)
				}
			default:
				t.Errorf("%s depends on %s with condition %q, want service_healthy or service_completed_successfully", name, dep, d.Condition)
			}
		}
	}
}

func TestNewsflowVariablesAreSettings(t *testing.T) {
	known := map[string]bool{}
	for _, s := range config.Settings(config.Default()) {
		known[s.Env] = true
	}
	p := project(t)
	seen := 0
	for name, s := range p.Services {
		for k := range s.Environment {
			if !strings.HasPrefix(k, config.EnvPrefix) {
				continue
			}
			seen++
			if !known[k] {
				t.Errorf("%s sets %s, which newsflow does not read", name, k)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no service sets a NEWSFLOW_ variable")
	}
}

func TestSetupRunsBeforeTheStages(t *testing.T) {
	p := project(t)
	setup := p.Services["setup"]
	if !slices.Equal(setup.Command, types.ShellCommand{"setup"}) {
		t.Errorf("setup runs %q, want newsflow setup", setup.Command)
	}
	for _, dep := range []string{"kafka", "elasticsearch"} {
		if setup.DependsOn[dep].Condition != types.ServiceConditionHealthy {
			t.Errorf("setup does not wait for %s to be healthy", dep)
		}
	}
	for _, name := range stages {
		s := p.Services[name]
		if !slices.Equal(s.Command, types.ShellCommand{name}) {
			t.Errorf("%s runs %q, want newsflow %s", name, s.Command, name)
		}
		if s.Image != setup.Image {
			t.Errorf("%s runs image %q, setup %q: one image runs every stage", name, s.Image, setup.Image)
		}
		if s.DependsOn["setup"].Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s does not wait for setup to complete", name)
		}
		if !slices.Contains(s.HealthCheck.Test, "probe") {
			t.Errorf("%s health check %q does not ask newsflow probe", name, s.HealthCheck.Test)
		}
	}
	if p.Services["index"].DependsOn["elasticsearch"].Condition != types.ServiceConditionHealthy {
		t.Error("index does not wait for Elasticsearch to be healthy")
	}
}

func TestEnrichScales(t *testing.T) {
	s := project(t).Services["enrich"]
	if s.ContainerName != "" {
		t.Errorf("enrich has container_name %q; --scale needs distinct names", s.ContainerName)
	}
	for _, port := range s.Ports {
		if port.Published != "" {
			t.Errorf("enrich publishes host port %s; replicas would collide", port.Published)
		}
	}
}

// TestStagesDrainBeforeTheyAreKilled checks that compose waits longer
// than a stage's shutdown deadline before it kills the container.
func TestStagesDrainBeforeTheyAreKilled(t *testing.T) {
	p := project(t)
	for _, name := range stages {
		s := p.Services[name]
		timeout := config.Default().Telemetry.ShutdownTimeout
		if v := s.Environment["NEWSFLOW_SHUTDOWN_TIMEOUT"]; v != nil {
			d, err := time.ParseDuration(*v)
			if err != nil {
				t.Fatalf("%s: NEWSFLOW_SHUTDOWN_TIMEOUT %q: %v", name, *v, err)
			}
			timeout = d
		}
		grace := 10 * time.Second // Docker's default
		if s.StopGracePeriod != nil {
			grace = time.Duration(*s.StopGracePeriod)
		}
		if grace < timeout+5*time.Second {
			t.Errorf("%s: stop_grace_period %s leaves no room after NEWSFLOW_SHUTDOWN_TIMEOUT %s", name, grace, timeout)
		}
	}
}

// TestStagesLoadFeedsAndTaxonomyFromDeploy checks the mounts: the files
// exist in deploy/ and the settings point at where they are mounted.
func TestStagesLoadFeedsAndTaxonomyFromDeploy(t *testing.T) {
	p := project(t)
	for _, name := range stages {
		s := p.Services[name]
		for _, setting := range []string{"NEWSFLOW_FEEDS", "NEWSFLOW_TAXONOMY"} {
			v := s.Environment[setting]
			if v == nil {
				t.Errorf("%s does not set %s", name, setting)
				continue
			}
			var mounted bool
			for _, vol := range s.Volumes {
				if vol.Target != *v {
					continue
				}
				mounted = true
				if vol.Type != types.VolumeTypeBind || !vol.ReadOnly {
					t.Errorf("%s: %s is not a read-only bind mount", name, vol.Target)
				}
				if !strings.Contains(filepath.ToSlash(vol.Source), "/deploy/") {
					t.Errorf("%s: %s comes from %s, not deploy/", name, vol.Target, vol.Source)
				}
				if _, err := os.Stat(vol.Source); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			if !mounted {
				t.Errorf("%s: %s=%s is not mounted", name, setting, *v)
			}
		}
	}
}

func TestKibanaUsesThePasswordTheUsersJobSets(t *testing.T) {
	p := project(t)
	kibana, users := p.Services["kibana"], p.Services["elasticsearch-users"]
	if kibana.DependsOn["elasticsearch-users"].Condition != types.ServiceConditionCompletedSuccessfully {
		t.Error("kibana does not wait for elasticsearch-users to set its password")
	}
	kp, up := kibana.Environment["ELASTICSEARCH_PASSWORD"], users.Environment["KIBANA_PASSWORD"]
	if kp == nil || up == nil || *kp != *up || *kp == "" {
		t.Error("kibana's ELASTICSEARCH_PASSWORD is not the KIBANA_PASSWORD that elasticsearch-users sets")
	}
	if u := kibana.Environment["ELASTICSEARCH_USERNAME"]; u == nil || *u != "kibana_system" {
		t.Error("kibana does not connect as kibana_system")
	}
	es := p.Services["elasticsearch"]
	if v := es.Environment["xpack.security.enabled"]; v == nil || *v != "true" {
		t.Error("Elasticsearch security is not on")
	}
	if v := es.Environment["ES_JAVA_OPTS"]; v == nil || !strings.Contains(*v, "-Xmx") {
		t.Error("Elasticsearch heap is not set")
	}
}

var interpolated = regexp.MustCompile(`(^|[^$])\$\{([A-Z_][A-Z0-9_]*)`)

// TestEnvExampleDocumentsEveryVariable checks both ways: each variable the
// compose file interpolates is in .env.example with a comment, and
// .env.example holds nothing the compose file ignores.
func TestEnvExampleDocumentsEveryVariable(t *testing.T) {
	compose, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range interpolated.FindAllStringSubmatch(string(compose), -1) {
		used[m[2]] = true
	}
	f, err := os.Open(envExample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented := map[string]bool{}
	commented := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			commented = false
		case strings.HasPrefix(line, "#"):
			commented = !strings.HasPrefix(line, "# ---")
		default:
			name, _, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf(".env.example: %q is not NAME=value", line)
				continue
			}
			if !commented {
				t.Errorf(".env.example: %s has no comment above it", name)
			}
			documented[name] = true
		}
	}
	for v := range used {
		if !documented[v] {
			t.Errorf("docker-compose.yml reads ${%s}, which .env.example does not document", v)
		}
	}
	for v := range documented {
		if !used[v] {
			t.Errorf(".env.example sets %s, which docker-compose.yml does not read", v)
		}
	}
}

// TestCredentialsOnlyWhereNeeded: the Elasticsearch password reaches the
// services that talk to Elasticsearch and no other.
func TestCredentialsOnlyWhereNeeded(t *testing.T) {
	p := project(t)
	for _, name := range []string{"ingest", "enrich"} {
		if _, ok := p.Services[name].Environment["NEWSFLOW_ES_PASSWORD"]; ok {
			t.Errorf("%s gets NEWSFLOW_ES_PASSWORD but never talks to Elasticsearch", name)
		}
	}
	for _, name := range []string{"index", "setup"} {
		if v := p.Services[name].Environment["NEWSFLOW_ES_PASSWORD"]; v == nil || *v == "" {
			t.Errorf("%s has no Elasticsearch password", name)
		}
	}
}
