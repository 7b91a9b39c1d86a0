package shotmeta

import (
	"os"
	"testing"
)

// TestScreenshotsFresh fails when a committed screenshot no longer shows
// the repository's current sources (an edited Dockerfile, new sizes), so
// that the tutorial never shows a picture of a file that has changed.
// It needs no browser: the source hash is recorded in each PNG.
func TestScreenshotsFresh(t *testing.T) {
	probs, err := Check(os.DirFS("../.."))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Errorf("%v", p)
	}
	if len(probs) > 0 {
		t.Logf("refresh them with `%s` (needs Chromium), then commit screenshots/", RefreshCommand)
	}
}
