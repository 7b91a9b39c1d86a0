package site

import (
	"fmt"
	"path"
	"strings"

	"multistage/site/markdown"
)

// resolveURL resolves a link written as a site URL relative to the page
// ("../usage/", "../usage"), the form Hugo-style sources use, rather than as
// a .md file. The target must be a page: by its URL, or by the URL its file
// would have had (content/a.md is "a/" even when a, being first by weight
// without an index.md, became the root). The link is rewritten to the
// page's real relative URL, so it is checked like any other.
func (b *builder) resolveURL(p *Page, dest, rel, frag, suffix string, line int) (markdown.Target, error) {
	// The link is relative to the folder URL the page's file gives it (as a
	// .md link is relative to the file), even when the page became the root:
	// "a/" + "../b/" is "b". Cleaned without a leading slash, a link that
	// climbs above the root keeps its "..": under a sub-path it would leave
	// the site.
	slug := path.Join(fileSlug(p.File), rel)
	if slug == ".." || strings.HasPrefix(slug, "../") {
		return markdown.Target{}, fmt.Errorf("link %q points outside the site", dest)
	}
	if slug == "." {
		slug = ""
	}
	tp := b.bySlug[slug]
	if tp == nil {
		return markdown.Target{}, fmt.Errorf("link %q: no page at /%s", dest, strings.TrimSuffix(slug+"/", "//"))
	}
	if frag != "" {
		b.noteAnchor(p.File, line, tp, frag)
	}
	return markdown.Target{Href: href(p, tp) + suffix}, nil
}

// indexSlugs maps every page's URL slug, and the slug its file gives it, to
// the page (the first claim wins, so real URLs beat file-derived ones).
func (b *builder) indexSlugs() {
	b.bySlug = make(map[string]*Page, len(b.pages))
	for _, p := range b.pages {
		b.bySlug[p.Slug] = p
	}
	for _, p := range b.pages {
		natural := fileSlug(p.File)
		if _, taken := b.bySlug[natural]; !taken {
			b.bySlug[natural] = p
		}
	}
}

// fileSlug is the URL slug a page's file gives it: "content/a/b.md" is
// "a/b", "content/a/index.md" is "a".
func fileSlug(file string) string {
	slug := strings.TrimSuffix(strings.TrimPrefix(file, "content/"), ".md")
	switch path.Base(slug) {
	case "index", "_index", "README":
		slug = strings.TrimSuffix(strings.TrimSuffix(path.Dir(slug), "."), "/")
	}
	return slug
}
