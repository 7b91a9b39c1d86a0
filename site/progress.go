package site

// progress reports one more page rendered to Options.Progress.
func (b *builder) progress() {
	if b.opt.Progress == nil {
		return
	}
	b.mu.Lock()
	b.rendered++
	b.opt.Progress(b.rendered, len(b.pages))
	b.mu.Unlock()
}
