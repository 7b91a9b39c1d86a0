// Package deploy holds deployment files; its test checks that kubernetes.yaml
// agrees with ../Dockerfile and with the server.
package deploy

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// --- a minimal YAML reader: block maps and lists, flow lists, scalars, comments ---

type yline struct {
	ind  int
	text string
	no   int // 1-based line number
}

// parseYAML returns one value per "---"-separated document.
func parseYAML(src string) ([]any, error) {
	var docs []any
	var cur []yline
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		v, next, err := parseBlock(cur, 0, cur[0].ind)
		if err != nil {
			return err
		}
		if next != len(cur) {
			return fmt.Errorf("line %d: unexpected indentation", cur[next].no)
		}
		docs = append(docs, v)
		cur = nil
		return nil
	}
	for i, raw := range strings.Split(src, "\n") {
		text := stripComment(strings.TrimRight(raw, " \r\t"))
		if strings.TrimSpace(text) == "" {
			continue
		}
		if text == "---" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		if strings.Contains(text, "\t") {
			return nil, fmt.Errorf("line %d: tab in YAML", i+1)
		}
		trimmed := strings.TrimLeft(text, " ")
		cur = append(cur, yline{ind: len(text) - len(trimmed), text: trimmed, no: i + 1})
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return docs, nil
}

// stripComment drops a " #" comment outside quotes.
func stripComment(s string) string {
	var q rune
	for i, r := range s {
		switch {
		case q != 0:
			if r == q {
				q = 0
			}
		case r == '"' || r == '\'':
			q = r
		case r == '#' && (i == 0 || s[i-1] == ' '):
			return strings.TrimRight(s[:i], " ")
		}
	}
	return s
}

func isItem(s string) bool { return s == "-" || strings.HasPrefix(s, "- ") }

func parseBlock(ls []yline, i, ind int) (any, int, error) {
	if isItem(ls[i].text) {
		var list []any
		for i < len(ls) && ls[i].ind == ind && isItem(ls[i].text) {
			rest := strings.TrimPrefix(ls[i].text, "-")
			trimmed := strings.TrimLeft(rest, " ")
			if trimmed == "" {
				if i+1 >= len(ls) || ls[i+1].ind <= ind {
					list = append(list, nil)
					i++
					continue
				}
				v, next, err := parseBlock(ls, i+1, ls[i+1].ind)
				if err != nil {
					return nil, 0, err
				}
				list, i = append(list, v), next
				continue
			}
			// The item's first line continues at the column after "- ".
			sub := append([]yline{{ind: ind + 1 + len(rest) - len(trimmed), text: trimmed, no: ls[i].no}}, ls[i+1:]...)
			v, next, err := parseBlock(sub, 0, sub[0].ind)
			if err != nil {
				return nil, 0, err
			}
			list, i = append(list, v), i+next
		}
		return list, i, nil
	}
	if !strings.Contains(ls[i].text, ":") {
		v, err := scalar(ls[i].text)
		return v, i + 1, err
	}
	m := map[string]any{}
	for i < len(ls) && ls[i].ind == ind && !isItem(ls[i].text) {
		l := ls[i]
		key, val, ok := strings.Cut(l.text, ":")
		if !ok || (val != "" && val[0] != ' ') {
			return nil, 0, fmt.Errorf("line %d: expected key: value, got %q", l.no, l.text)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if _, dup := m[key]; dup {
			return nil, 0, fmt.Errorf("line %d: duplicate key %q", l.no, key)
		}
		i++
		if val != "" {
			v, err := scalar(val)
			if err != nil {
				return nil, 0, fmt.Errorf("line %d: %v", l.no, err)
			}
			m[key] = v
			continue
		}
		if i < len(ls) && (ls[i].ind > ind || (ls[i].ind == ind && isItem(ls[i].text))) {
			v, next, err := parseBlock(ls, i, ls[i].ind)
			if err != nil {
				return nil, 0, err
			}
			m[key], i = v, next
			continue
		}
		m[key] = nil
	}
	return m, i, nil
}

// scalar reads a plain, quoted or flow-list scalar; numbers stay strings.
func scalar(s string) (any, error) {
	switch {
	case strings.HasPrefix(s, "["):
		var list []any
		if err := json.Unmarshal([]byte(s), &list); err != nil {
			return nil, fmt.Errorf("flow list %s: %v", s, err)
		}
		return list, nil
	case strings.HasPrefix(s, `"`):
		return strconv.Unquote(s)
	case strings.HasPrefix(s, "'"):
		return strings.ReplaceAll(strings.Trim(s, "'"), "''", "'"), nil
	}
	return s, nil
}

// get walks a dotted path: map keys and list indexes.
func get(t *testing.T, v any, path string) any {
	t.Helper()
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				t.Fatalf("%s: no key %q", path, p)
			}
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil || n >= len(x) {
				t.Fatalf("%s: no item %q", path, p)
			}
			v = x[n]
		default:
			t.Fatalf("%s: %q is not inside a map or list", path, p)
		}
	}
	return v
}

func str(t *testing.T, v any, path string) string {
	t.Helper()
	s, ok := get(t, v, path).(string)
	if !ok {
		t.Fatalf("%s is not a scalar", path)
	}
	return s
}

func TestParseYAML(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"a: 1\nb:\n  c: x # note\n", `[{"a":"1","b":{"c":"x"}}]`},
		{"l:\n- a\n- b: 1\n  c: 2\n", `[{"l":["a",{"b":"1","c":"2"}]}]`},
		{"a: [\"ALL\"]\n---\nb: \"q # not\"\n", `[{"a":["ALL"]},{"b":"q # not"}]`},
		{"x:\n  - - 1\n    - 2\n", `[{"x":[["1","2"]]}]`},
		{"e:\nf: 'it''s'\n", `[{"e":null,"f":"it's"}]`},
	}
	for _, tc := range tests {
		docs, err := parseYAML(tc.in)
		if err != nil {
			t.Errorf("parseYAML(%q): %v", tc.in, err)
			continue
		}
		b, _ := json.Marshal(docs)
		if string(b) != tc.want {
			t.Errorf("parseYAML(%q) = %s, want %s", tc.in, b, tc.want)
		}
	}
	for _, bad := range []string{"a: 1\na: 2\n", "a: 1\n   b: 2\n", "a:b\n", "a:\n\tb: 1\n"} {
		if _, err := parseYAML(bad); err == nil {
			t.Errorf("parseYAML(%q): no error", bad)
		}
	}
}

// --- the Dockerfile's runtime contract ---

type dockerfile struct {
	expose, user, entrypoint, cmd, port, title string
	healthcheck                                []string
}

func readDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dockerfile
	// Only the last stage is the image.
	src := strings.ReplaceAll(string(b), "\\\n", " ")
	stages := strings.Split(src, "\nFROM ")
	for _, line := range strings.Split(stages[len(stages)-1], "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ins, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(ins) {
		case "EXPOSE":
			d.expose = rest
		case "USER":
			d.user = rest
		case "ENTRYPOINT":
			d.entrypoint = rest
		case "CMD":
			d.cmd = rest
		case "ENV":
			if v, ok := strings.CutPrefix(rest, "PORT="); ok {
				d.port = v
			}
		case "LABEL":
			for _, f := range strings.Fields(rest) {
				if v, ok := strings.CutPrefix(f, "org.opencontainers.image.title="); ok {
					d.title = strings.Trim(v, `"`)
				}
			}
		case "HEALTHCHECK":
			_, cmd, ok := strings.Cut(rest, "CMD ")
			if !ok || json.Unmarshal([]byte(strings.TrimSpace(cmd)), &d.healthcheck) != nil {
				t.Fatalf("%s: HEALTHCHECK %q is not CMD in exec form", path, rest)
			}
		}
	}
	return d
}

func jsonList(t *testing.T, s string) []any {
	t.Helper()
	var l []any
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		t.Fatalf("%q is not an exec-form list", s)
	}
	return l
}

func TestKubernetesMatchesDockerfile(t *testing.T) {
	df := readDockerfile(t, filepath.Join("..", "Dockerfile"))
	b, err := os.ReadFile("kubernetes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := parseYAML(string(b))
	if err != nil {
		t.Fatalf("kubernetes.yaml: %v", err)
	}
	byKind := map[string]any{}
	for _, d := range docs {
		byKind[str(t, d, "kind")] = d
	}
	for kind, api := range map[string]string{"Deployment": "apps/v1", "Service": "v1", "HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1"} {
		d, ok := byKind[kind]
		if !ok {
			t.Fatalf("kubernetes.yaml has no %s", kind)
		}
		if got := str(t, d, "apiVersion"); got != api {
			t.Errorf("%s apiVersion = %s, want %s", kind, got, api)
		}
	}
	dep := byKind["Deployment"]
	name := str(t, dep, "metadata.name")
	c := get(t, dep, "spec.template.spec.containers.0")

	// Image: the Dockerfile's title, as built by `docker build -t multistage .`.
	if img := str(t, c, "image"); img != df.title+":latest" || df.title != "multistage" {
		t.Errorf("image %q, Dockerfile title %q: want multistage:latest", img, df.title)
	}
	if got := get(t, c, "args"); !reflect.DeepEqual(got, jsonList(t, df.cmd)) {
		t.Errorf("args %v differ from the Dockerfile's CMD %s", got, df.cmd)
	}
	if df.entrypoint != `["/multistage"]` {
		t.Errorf("ENTRYPOINT %s, want [\"/multistage\"]", df.entrypoint)
	}

	// Port: EXPOSE = ENV PORT = containerPort = probes = Service targetPort.
	if df.expose != "5000" || df.port != df.expose {
		t.Errorf("Dockerfile EXPOSE %q, ENV PORT %q: want both 5000", df.expose, df.port)
	}
	for _, p := range []string{"ports.0.containerPort", "livenessProbe.httpGet.port", "readinessProbe.httpGet.port"} {
		if got := str(t, c, p); got != df.expose {
			t.Errorf("%s = %s, Dockerfile EXPOSE %s", p, got, df.expose)
		}
	}
	if got := str(t, byKind["Service"], "spec.ports.0.targetPort"); got != df.expose {
		t.Errorf("Service targetPort = %s, Dockerfile EXPOSE %s", got, df.expose)
	}
	env := get(t, c, "env").([]any)
	if len(env) != 1 || str(t, env[0], "name") != "PORT" || str(t, env[0], "value") != df.port {
		t.Errorf("container env %v, want PORT=%s", env, df.port)
	}

	// User: USER uid:gid = runAsUser/runAsGroup, non-root, locked down.
	uid, gid, _ := strings.Cut(df.user, ":")
	if uid == "" || uid == "0" || gid == "" {
		t.Fatalf("Dockerfile USER %q: want a numeric non-root uid:gid", df.user)
	}
	for _, sc := range []string{"spec.template.spec.securityContext", "spec.template.spec.containers.0.securityContext"} {
		for key, want := range map[string]string{"runAsUser": uid, "runAsGroup": gid, "runAsNonRoot": "true", "seccompProfile.type": "RuntimeDefault"} {
			if got := str(t, dep, sc+"."+key); got != want {
				t.Errorf("%s.%s = %s, want %s", sc, key, got, want)
			}
		}
	}
	for key, want := range map[string]string{"readOnlyRootFilesystem": "true", "allowPrivilegeEscalation": "false", "capabilities.drop.0": "ALL"} {
		if got := str(t, c, "securityContext."+key); got != want {
			t.Errorf("securityContext.%s = %s, want %s", key, got, want)
		}
	}

	// Probes: the path the image's HEALTHCHECK asks about.
	if want := []string{"/multistage", "healthcheck"}; !reflect.DeepEqual(df.healthcheck, want) {
		t.Errorf("HEALTHCHECK CMD %v, want %v", df.healthcheck, want)
	}
	for _, p := range []string{"livenessProbe", "readinessProbe"} {
		if got := str(t, c, p+".httpGet.path"); got != healthPath {
			t.Errorf("%s path = %s, want %s", p, got, healthPath)
		}
	}
	for _, r := range []string{"requests.cpu", "requests.memory", "limits.cpu", "limits.memory"} {
		if str(t, c, "resources."+r) == "" {
			t.Errorf("resources.%s is empty", r)
		}
	}

	// The other objects point at the Deployment and its pods.
	podLabels := get(t, dep, "spec.template.metadata.labels")
	if sel := get(t, dep, "spec.selector.matchLabels"); !reflect.DeepEqual(sel, podLabels) {
		t.Errorf("Deployment selector %v, pod labels %v", sel, podLabels)
	}
	if sel := get(t, byKind["Service"], "spec.selector"); !reflect.DeepEqual(sel, podLabels) {
		t.Errorf("Service selector %v, pod labels %v", sel, podLabels)
	}
	if sel := get(t, byKind["PodDisruptionBudget"], "spec.selector.matchLabels"); !reflect.DeepEqual(sel, podLabels) {
		t.Errorf("PodDisruptionBudget selector %v, pod labels %v", sel, podLabels)
	}
	hpa := byKind["HorizontalPodAutoscaler"]
	if str(t, hpa, "spec.scaleTargetRef.kind") != "Deployment" || str(t, hpa, "spec.scaleTargetRef.name") != name {
		t.Errorf("HPA does not target Deployment %s", name)
	}
	minR, _ := strconv.Atoi(str(t, hpa, "spec.minReplicas"))
	minA, _ := strconv.Atoi(str(t, byKind["PodDisruptionBudget"], "spec.minAvailable"))
	if minA < 1 || minA >= minR {
		t.Errorf("PDB minAvailable %d must be at least 1 and below the HPA's minReplicas %d", minA, minR)
	}
}

// healthPath is the server's health endpoint (DESIGN.md).
const healthPath = "/healthz"

// TestServerServesHealthPath checks that the server's sources name the path the
// probes use (the healthcheck subcommand and the handler).
func TestServerServesHealthPath(t *testing.T) {
	root := ".."
	found := []string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "deploy", "e2e", "tools", "testdata", "node_modules", "public":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), `"`+healthPath+`"`) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatalf("no server source names %q", healthPath)
	}
	t.Logf("%s named in %v", healthPath, found)
}
