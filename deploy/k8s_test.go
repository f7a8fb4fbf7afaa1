package deploy

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/newsflow/newsflow/pkg/config"
)

var update = flag.Bool("update", false, "regenerate deploy/k8s/configmap-*.yaml from deploy/feeds.yaml and deploy/taxonomy.yaml")

// object is one Kubernetes manifest, decoded loosely.
type object struct {
	file string
	doc  map[string]any
}

func (o object) kind() string { s, _ := o.doc["kind"].(string); return s }
func (o object) name() string { s, _ := get(o.doc, "metadata", "name").(string); return s }

// get walks nested maps by key.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func list(v any) []any { l, _ := v.([]any); return l }

func manifests(t *testing.T) []object {
	t.Helper()
	paths, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests in deploy/k8s: %v", err)
	}
	var out []object
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for i := 0; ; i++ {
			var doc map[string]any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: document %d: %v", p, i+1, err)
			}
			if doc == nil {
				continue
			}
			out = append(out, object{file: filepath.Base(p), doc: doc})
		}
	}
	return out
}

func find(objs []object, kind, name string) (object, bool) {
	for _, o := range objs {
		if o.kind() == kind && o.name() == name {
			return o, true
		}
	}
	return object{}, false
}

func TestManifestsParse(t *testing.T) {
	objs := manifests(t)
	for _, o := range objs {
		if o.kind() == "Kustomization" {
			continue
		}
		if _, ok := o.doc["apiVersion"].(string); !ok || o.kind() == "" || o.name() == "" {
			t.Errorf("%s: a document lacks apiVersion, kind or metadata.name", o.file)
		}
		if o.kind() != "Namespace" && get(o.doc, "metadata", "namespace") != "newsflow" {
			t.Errorf("%s: %s %s is not in namespace newsflow", o.file, o.kind(), o.name())
		}
	}
	for _, want := range [][2]string{
		{"Deployment", "newsflow-ingest"}, {"Deployment", "newsflow-enrich"}, {"Deployment", "newsflow-index"},
		{"ConfigMap", "newsflow-feeds"}, {"ConfigMap", "newsflow-taxonomy"}, {"ConfigMap", "newsflow-config"},
		{"Job", "newsflow-setup"}, {"HorizontalPodAutoscaler", "newsflow-enrich"},
	} {
		if _, ok := find(objs, want[0], want[1]); !ok {
			t.Errorf("no %s %s", want[0], want[1])
		}
	}
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	var k struct {
		Resources []string `yaml:"resources"`
	}
	b, err := os.ReadFile("k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob("k8s/*.yaml")
	for _, p := range paths {
		if base := filepath.Base(p); base != "kustomization.yaml" && !slices.Contains(k.Resources, base) {
			t.Errorf("kustomization.yaml does not list %s", base)
		}
	}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join("k8s", r)); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", r, err)
		}
	}
}

// podSpec returns the pod template spec of a Deployment or Job.
func podSpec(o object) map[string]any {
	s, _ := get(o.doc, "spec", "template", "spec").(map[string]any)
	return s
}

// containerEnv returns the NEWSFLOW_* variables a container sets, from its
// env and from the ConfigMaps it takes whole, with their literal values
// ("" for values from secrets).
func containerEnv(objs []object, c any) map[string]string {
	env := map[string]string{}
	for _, src := range list(get(c, "envFrom")) {
		if name, ok := get(src, "configMapRef", "name").(string); ok {
			if cm, ok := find(objs, "ConfigMap", name); ok {
				for k, v := range get(cm.doc, "data").(map[string]any) {
					env[k] = fmt.Sprint(v)
				}
			}
		}
	}
	for _, e := range list(get(c, "env")) {
		name, _ := get(e, "name").(string)
		v, _ := get(e, "value").(string)
		env[name] = v
	}
	return env
}

func TestWorkloads(t *testing.T) {
	objs := manifests(t)
	settings := map[string]bool{}
	for _, s := range config.Settings(config.Default()) {
		settings[s.Env] = true
	}
	workloads := map[string]string{ // name → subcommand
		"newsflow-ingest": "ingest", "newsflow-enrich": "enrich", "newsflow-index": "index", "newsflow-setup": "setup",
	}
	for name, sub := range workloads {
		kind := "Deployment"
		if sub == "setup" {
			kind = "Job"
		}
		o, ok := find(objs, kind, name)
		if !ok {
			t.Errorf("no %s %s", kind, name)
			continue
		}
		spec := podSpec(o)
		containers := list(get(spec, "containers"))
		if len(containers) != 1 {
			t.Errorf("%s: %d containers, want 1", name, len(containers))
			continue
		}
		c := containers[0]
		if args := list(get(c, "args")); len(args) != 1 || args[0] != sub {
			t.Errorf("%s runs %v, want newsflow %s", name, args, sub)
		}
		if img, _ := get(c, "image").(string); img != "newsflow" {
			t.Errorf("%s: image %q, want newsflow (set by the kustomization's images)", name, img)
		}
		for _, kind := range []string{"requests", "limits"} {
			for _, r := range []string{"cpu", "memory"} {
				if get(c, "resources", kind, r) == nil {
					t.Errorf("%s: no %s.%s", name, kind, r)
				}
			}
		}
		if get(c, "securityContext", "runAsNonRoot") != true || get(c, "securityContext", "allowPrivilegeEscalation") != false {
			t.Errorf("%s: the container may run as root or escalate", name)
		}
		env := containerEnv(objs, c)
		for k := range env {
			if strings.HasPrefix(k, config.EnvPrefix) && !settings[k] {
				t.Errorf("%s sets %s, which newsflow does not read", name, k)
			}
		}
		for _, e := range list(get(c, "env")) {
			if get(e, "name") == "NEWSFLOW_ES_PASSWORD" && get(e, "valueFrom", "secretKeyRef", "name") == nil {
				t.Errorf("%s: NEWSFLOW_ES_PASSWORD does not come from a Secret", name)
			}
		}
		if (sub == "index" || sub == "setup") && env["NEWSFLOW_ES_PASSWORD"] != "" {
			t.Errorf("%s: NEWSFLOW_ES_PASSWORD is written in a manifest", name)
		}
		checkMounts(t, name, spec, c, env)
		if kind == "Job" {
			continue
		}
		checkProbes(t, name, c, env)
		timeout := 20 * time.Second
		if v, ok := env["NEWSFLOW_SHUTDOWN_TIMEOUT"]; ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("%s: NEWSFLOW_SHUTDOWN_TIMEOUT %q: %v", name, v, err)
			}
			timeout = d
		}
		grace, _ := get(spec, "terminationGracePeriodSeconds").(int)
		if grace == 0 {
			grace = 30 // Kubernetes' default
		}
		if time.Duration(grace)*time.Second < timeout+5*time.Second {
			t.Errorf("%s: terminationGracePeriodSeconds %d leaves no room after NEWSFLOW_SHUTDOWN_TIMEOUT %s", name, grace, timeout)
		}
		if get(o.doc, "spec", "template", "metadata", "annotations", "prometheus.io/scrape") != "true" {
			t.Errorf("%s: pods are not annotated for scraping", name)
		}
	}
}

// checkProbes checks liveness on /healthz and readiness on /readyz, on
// the port NEWSFLOW_HTTP_ADDR listens on.
func checkProbes(t *testing.T, name string, c any, env map[string]string) {
	t.Helper()
	addr := env["NEWSFLOW_HTTP_ADDR"]
	if addr == "" {
		addr = config.Default().Telemetry.HTTPAddr
	}
	_, port, _ := strings.Cut(addr, ":")
	ports := map[string]string{}
	for _, p := range list(get(c, "ports")) {
		ports[fmt.Sprint(get(p, "name"))] = fmt.Sprint(get(p, "containerPort"))
	}
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if got := get(c, probe, "httpGet", "path"); got != path {
			t.Errorf("%s: %s path %v, want %s", name, probe, got, path)
		}
		p := fmt.Sprint(get(c, probe, "httpGet", "port"))
		if named, ok := ports[p]; ok {
			p = named
		}
		if p != port {
			t.Errorf("%s: %s port %s, but NEWSFLOW_HTTP_ADDR %q listens on %s", name, probe, p, addr, port)
		}
	}
}

// checkMounts checks that the files the settings name are mounted from
// ConfigMaps or Secrets that the pod has.
func checkMounts(t *testing.T, name string, spec map[string]any, c any, env map[string]string) {
	t.Helper()
	volumes := map[string]any{}
	for _, v := range list(get(spec, "volumes")) {
		volumes[fmt.Sprint(get(v, "name"))] = v
	}
	mounts := map[string]string{} // mount path → volume
	for _, m := range list(get(c, "volumeMounts")) {
		mounts[fmt.Sprint(get(m, "mountPath"))] = fmt.Sprint(get(m, "name"))
	}
	needs := map[string]string{"ingest": "NEWSFLOW_FEEDS", "enrich": "NEWSFLOW_TAXONOMY", "index": "NEWSFLOW_ES_CA_CERT", "setup": "NEWSFLOW_ES_CA_CERT"}
	setting := needs[strings.TrimPrefix(name, "newsflow-")]
	path := env[setting]
	if path == "" {
		t.Errorf("%s: %s is not set", name, setting)
		return
	}
	vol, ok := mounts[filepath.Dir(path)]
	if !ok {
		t.Errorf("%s: nothing is mounted at %s for %s=%s", name, filepath.Dir(path), setting, path)
		return
	}
	v, ok := volumes[vol]
	if !ok {
		t.Errorf("%s: volume %s is mounted but not declared", name, vol)
		return
	}
	if get(v, "configMap", "name") == nil && get(v, "secret", "secretName") == nil {
		t.Errorf("%s: volume %s is neither a ConfigMap nor a Secret", name, vol)
	}
}

func TestEnrichAutoscales(t *testing.T) {
	objs := manifests(t)
	hpa, ok := find(objs, "HorizontalPodAutoscaler", "newsflow-enrich")
	if !ok {
		t.Fatal("no HorizontalPodAutoscaler for enrich")
	}
	if get(hpa.doc, "spec", "scaleTargetRef", "kind") != "Deployment" || get(hpa.doc, "spec", "scaleTargetRef", "name") != "newsflow-enrich" {
		t.Errorf("the autoscaler targets %v", get(hpa.doc, "spec", "scaleTargetRef"))
	}
	lo, _ := get(hpa.doc, "spec", "minReplicas").(int)
	hi, _ := get(hpa.doc, "spec", "maxReplicas").(int)
	cm, _ := find(objs, "ConfigMap", "newsflow-config")
	partitions := config.Default().Kafka.Partitions
	if v, ok := get(cm.doc, "data", "NEWSFLOW_KAFKA_PARTITIONS").(string); ok {
		fmt.Sscan(v, &partitions)
	}
	if lo < 1 || hi < lo || hi > partitions {
		t.Errorf("autoscaler from %d to %d replicas; want 1 ≤ min ≤ max ≤ %d partitions, beyond which replicas idle", lo, hi, partitions)
	}
	if len(list(get(hpa.doc, "spec", "metrics"))) == 0 {
		t.Error("the autoscaler has no metric")
	}
}

// configMapFiles are the ConfigMaps generated from files in deploy/.
var configMapFiles = []struct{ manifest, name, source string }{
	{"k8s/configmap-feeds.yaml", "newsflow-feeds", "feeds.yaml"},
	{"k8s/configmap-taxonomy.yaml", "newsflow-taxonomy", "taxonomy.yaml"},
}

// TestConfigMapsMatchDeploy fails when deploy/feeds.yaml or
// deploy/taxonomy.yaml changed without `make k8s-configmaps`, which runs
// it with -update.
func TestConfigMapsMatchDeploy(t *testing.T) {
	for _, f := range configMapFiles {
		src, err := os.ReadFile(f.source)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(f.manifest, configMap(t, f.name, f.source, src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b, err := os.ReadFile(f.manifest)
		if err != nil {
			t.Fatal(err)
		}
		var cm struct {
			Metadata struct{ Name string }
			Data     map[string]string
		}
		if err := yaml.Unmarshal(b, &cm); err != nil {
			t.Fatalf("%s: %v", f.manifest, err)
		}
		if cm.Metadata.Name != f.name {
			t.Errorf("%s names %q, want %q", f.manifest, cm.Metadata.Name, f.name)
		}
		if cm.Data[f.source] != string(src) {
			t.Errorf("%s differs from deploy/%s; run `make k8s-configmaps`", f.manifest, f.source)
		}
	}
}

// configMap renders the ConfigMap name holding src as the file key.
func configMap(t *testing.T, name, key string, src []byte) []byte {
	t.Helper()
	cm := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":      name,
			"namespace": "newsflow",
			"labels":    map[string]string{"app.kubernetes.io/part-of": "newsflow"},
		},
		"data": map[string]string{key: string(src)},
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "# Generated from deploy/%s by `make k8s-configmaps`; edit that file, not this one.\n", key)
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(cm); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
