package live

import (
	"html/template"
	"net/http"
	"strings"

	"multistage/site"
)

// brokenPage is served for every page while no build has succeeded yet (the
// sources were broken when dev mode started). It loads the live script, so
// it shows the error overlay and turns into the site once the build works.
var brokenPage = template.Must(template.New("").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Build failed · multistage dev</title>
<link rel="stylesheet" href="{{.Root}}_live.css">
<script src="{{.Root}}_live.js" data-live="{{.Root}}_live" data-page="{{.Page}}" defer></script>
</head>
<body class="live-broken">
<main>
<h1>The site does not build yet</h1>
<p>Fix the problems below and save: this page turns into the site by itself.</p>
<pre>{{.Err}}</pre>
</main>
</body>
</html>
`))

// ServeBroken answers a page request when there is no good site to serve.
func ServeBroken(w http.ResponseWriter, r *http.Request, err error) {
	p := r.URL.Path
	root := strings.Repeat("../", strings.Count(p, "/")-1)
	if root == "" {
		root = "./"
	}
	msg := "the first build has not finished"
	if err != nil {
		msg = err.Error()
	}
	h := w.Header()
	site.SecurityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method == http.MethodHead {
		return
	}
	_ = brokenPage.Execute(w, struct{ Root, Page, Err string }{root, p, msg})
}
