package site

// Site navigation for large sites. Every page lists the whole tutorial in its
// side navigation, which is right for a tutorial of a few dozen pages and
// quadratic for a generated site of thousands (5000 pages would carry 5000
// links each, about 1.7 GB of HTML in all). Past navFull pages the list
// becomes a window: the first page, the pages around the current one, and
// the last, with gaps marked; the pager still walks every page in order.
const (
	navFull   = 60 // sites up to this many pages list every page
	navRadius = 8  // pages shown on each side of the current one
)

// navItem is one entry of the side navigation: a page, or a gap (nil Page)
// standing for the pages left out. Href and Current are worked out here
// rather than by template calls, which cost a reflective call per link.
type navItem struct {
	Page    *Page
	Gap     bool
	Href    string // relative link to Page
	Current bool   // Page is the page being rendered
}

// Nav lists the side navigation of the page being rendered.
func (d *pageData) Nav() []navItem {
	pages := d.Site.Pages
	if len(pages) <= navFull {
		items := make([]navItem, len(pages))
		for i, p := range pages {
			items[i] = d.navTo(p)
		}
		return items
	}
	cur := 0
	if d.Page != nil {
		cur = d.Page.index
	}
	lo, hi := max(cur-navRadius, 0), min(cur+navRadius, len(pages)-1)
	var items []navItem
	if lo > 0 {
		items = append(items, d.navTo(pages[0]))
		if lo > 1 {
			items = append(items, navItem{Gap: true})
		}
	}
	for i := lo; i <= hi; i++ {
		items = append(items, d.navTo(pages[i]))
	}
	if hi < len(pages)-1 {
		if hi < len(pages)-2 {
			items = append(items, navItem{Gap: true})
		}
		items = append(items, d.navTo(pages[len(pages)-1]))
	}
	return items
}

func (d *pageData) navTo(p *Page) navItem {
	return navItem{Page: p, Href: d.Href(p), Current: p == d.Page}
}
