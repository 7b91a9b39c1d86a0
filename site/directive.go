package site

import (
	"bytes"
	"fmt"
)

// directive renders a fenced block whose language is a directive:
//
//	```demo      the live panel fed by /app/about
//	```sizes     the measured image sizes from content/sizes.json
//
// Directive blocks must be empty; their content comes from the site.
func (b *builder) directive(p *Page, name string, body []byte) ([]byte, error) {
	if len(bytes.TrimSpace(body)) > 0 {
		return nil, fmt.Errorf("the block must be empty: its content comes from the site")
	}
	data := &pageData{Page: p, Root: root(p)}
	var buf bytes.Buffer
	switch name {
	case "demo":
		if err := b.tmpl.ExecuteTemplate(&buf, "demo", data); err != nil {
			return nil, err
		}
	case "sizes":
		if err := b.sizes(&buf, data); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown directive")
	}
	return buf.Bytes(), nil
}
