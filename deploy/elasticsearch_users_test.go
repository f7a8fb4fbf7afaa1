package deploy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/testenv"
)

// request is one call the script made.
type request struct {
	method, path, user, password string
	body                         map[string]any
}

// fakeSecurity stands in for the security API of Elasticsearch: it
// records the calls and answers as the node does, or with status.
type fakeSecurity struct {
	mu     sync.Mutex
	calls  []request
	status int
}

func (f *fakeSecurity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, password, _ := r.BasicAuth()
	b, _ := io.ReadAll(r.Body)
	req := request{method: r.Method, path: r.URL.Path, user: user, password: password}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &req.body); err != nil {
			http.Error(w, `{"error":"invalid JSON: `+err.Error()+`"}`, http.StatusBadRequest)
			req.body = map[string]any{"invalid": string(b)}
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, req)
	status := f.status
	f.mu.Unlock()
	if req.body["invalid"] != nil {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if status != 0 {
		w.WriteHeader(status)
		io.WriteString(w, `{"error":"refused"}`)
		return
	}
	io.WriteString(w, `{}`)
}

// take returns the calls so far and forgets them; later calls are answered
// with status (0: as the node does).
func (f *fakeSecurity) take(status int) []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	calls := f.calls
	f.calls, f.status = nil, status
	return calls
}

// usersScript returns the script and environment of the compose service
// elasticsearch-users.
func usersScript(t *testing.T) (string, map[string]string) {
	t.Helper()
	svc := project(t).Services["elasticsearch-users"]
	if len(svc.Entrypoint) != 2 || svc.Entrypoint[0] != "bash" || svc.Entrypoint[1] != "-c" || len(svc.Command) != 1 {
		t.Fatalf("elasticsearch-users runs %q %q, want bash -c SCRIPT", svc.Entrypoint, svc.Command)
	}
	env := map[string]string{}
	for k, v := range svc.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	return svc.Command[0], env
}

func runScript(t *testing.T, script string, env map[string]string) (string, error) {
	t.Helper()
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run the script: %v", tool, err)
		}
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestElasticsearchUsersScript runs the script of elasticsearch-users, as
// its container would, against a stand-in for the security API, with
// passwords that a shell could mangle.
func TestElasticsearchUsersScript(t *testing.T) {
	script, env := usersScript(t)
	fake := &fakeSecurity{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	for k, v := range map[string]string{
		"ES_URL": srv.URL, "ELASTIC_PASSWORD": "adm in$HOME'!", "KIBANA_PASSWORD": "kib*ana $1",
		"WRITER_PASSWORD": "wr`iter` $(id) &", "INDEX": "news-articles",
	} {
		if _, ok := env[k]; !ok {
			t.Fatalf("elasticsearch-users does not set %s", k)
		}
		env[k] = v
	}
	out, err := runScript(t, script, env)
	if err != nil {
		t.Fatalf("the script failed: %v\n%s", err, out)
	}
	calls := map[string]request{}
	for _, c := range fake.take(0) {
		if c.user != env["ADMIN_USER"] || c.password != env["ELASTIC_PASSWORD"] {
			t.Errorf("%s %s authenticated as %q/%q", c.method, c.path, c.user, c.password)
		}
		calls[c.method+" "+c.path] = c
	}
	kibana, ok := calls["POST /_security/user/kibana_system/_password"]
	if !ok || kibana.body["password"] != env["KIBANA_PASSWORD"] {
		t.Errorf("kibana_system password call: %+v", kibana)
	}
	role, ok := calls["PUT /_security/role/"+env["WRITER_ROLE"]]
	if !ok {
		t.Fatalf("no role created; calls: %+v", calls)
	}
	if cluster := role.body["cluster"]; !slices.Equal(toStrings(cluster), []string{"monitor"}) {
		t.Errorf("role cluster privileges %v, want monitor only", cluster)
	}
	indices, _ := role.body["indices"].([]any)
	if len(indices) != 1 {
		t.Fatalf("role indices %v", role.body["indices"])
	}
	idx, _ := indices[0].(map[string]any)
	if names := toStrings(idx["names"]); !slices.Equal(names, []string{env["INDEX"] + "*"}) {
		t.Errorf("role covers %v, want only %s*", names, env["INDEX"])
	}
	privileges := toStrings(idx["privileges"])
	known := builtinIndexPrivileges(t)
	for _, p := range privileges {
		if !known[p] {
			t.Errorf("role grants %q, which is no index privilege", p)
		}
	}
	for _, need := range []string{"write", "view_index_metadata"} {
		if !slices.Contains(privileges, need) {
			t.Errorf("role lacks %s, which the indexer needs", need)
		}
	}
	user, ok := calls["PUT /_security/user/"+env["WRITER_USER"]]
	if !ok || user.body["password"] != env["WRITER_PASSWORD"] || !slices.Equal(toStrings(user.body["roles"]), []string{env["WRITER_ROLE"]}) {
		t.Errorf("user call: %+v", user)
	}

	// Without Kibana there is no kibana_system password to set.
	env["KIBANA_PASSWORD"] = ""
	if out, err := runScript(t, script, env); err != nil {
		t.Fatalf("the script failed without a Kibana password: %v\n%s", err, out)
	}
	for _, c := range fake.take(http.StatusUnauthorized) {
		if strings.Contains(c.path, "kibana_system") {
			t.Error("the script set kibana_system's password to nothing")
		}
	}

	// A refusal fails the one-shot, so Kibana and setup do not start on
	// half-made users.
	if out, err := runScript(t, script, env); err == nil {
		t.Errorf("the script succeeded although Elasticsearch refused it:\n%s", out)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range list(v) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// builtinIndexPrivileges asks the test node with security on for the
// index privileges it knows; without one, it returns those of 8.x that the
// script may use.
func builtinIndexPrivileges(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	if testing.Short() && !testenv.CI() {
		for _, p := range []string{"all", "read", "write", "index", "create", "create_doc", "delete", "view_index_metadata", "manage", "create_index", "monitor"} {
			known[p] = true
		}
		return known
	}
	node := testenv.SecureElasticsearch(t)
	url, user, password := node.URLs[0], node.Username, node.Password
	req, err := http.NewRequest(http.MethodGet, url+"/_security/privilege/_builtin", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("asking %s for the built-in privileges: %v", url, err)
	}
	defer resp.Body.Close()
	var builtin struct {
		Index []string `json:"index"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&builtin); err != nil || len(builtin.Index) == 0 {
		t.Fatalf("built-in privileges from %s: %s, %v", url, resp.Status, err)
	}
	for _, p := range builtin.Index {
		known[p] = true
	}
	return known
}
