package site

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
)

// Absolute URLs. Everything a page links to is relative, so one build works
// at "/", under any sub-path and from the file system. Two things cannot be
// relative: a sitemap (the protocol requires absolute <loc>s) and canonical
// links. They need the scheme and host as well as the path, which a build
// cannot guess, so they exist only when Options.URL gives the site's full
// address; a Base path alone yields neither.

// checkURL validates Options.URL and reconciles it with Options.Base, which
// must be its path when both are given.
func checkURL(opt *Options) error {
	if opt.URL == "" {
		return nil
	}
	u, err := url.Parse(opt.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("site URL %q: want an absolute http(s) URL such as https://example.com/docs/", opt.URL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if opt.Base == "" || opt.Base == "/" && u.Path != "/" {
		opt.Base = u.Path
	}
	if opt.Base != u.Path {
		return fmt.Errorf("base %q is not the path of the site URL %q", opt.Base, opt.URL)
	}
	opt.URL = u.String()
	return nil
}

// Canonical is the page's absolute URL, or "" when the site URL is unknown
// (and on the 404 page, which is no resource of its own).
func (d *pageData) Canonical() string {
	if d.Site.URL == "" || d.Page == nil {
		return ""
	}
	return absURL(d.Site.URL, d.Page)
}

func absURL(site string, p *Page) string {
	if p.Slug == "" {
		return site
	}
	return site + escapePath(p.Slug) + "/"
}

// sitemap lists every page, in reading order, as /sitemap.xml. It has no
// <lastmod>: the build is deterministic, and the date of the build is not
// the date of a change.
func (b *builder) sitemap() *Entry {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	buf.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for _, p := range b.pages {
		buf.WriteString("<url><loc>")
		_ = xml.EscapeText(&buf, []byte(absURL(b.opt.URL, p)))
		buf.WriteString("</loc></url>\n")
	}
	buf.WriteString("</urlset>\n")
	return &Entry{Path: "/sitemap.xml", Type: "application/xml; charset=utf-8", Body: buf.Bytes(), CacheControl: cacheRevalidate}
}
