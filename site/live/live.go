// Package live is the dev mode's loop: watch the source folder, rebuild the
// site when something it read changes, swap the new site in atomically, and
// tell every open page over Server-Sent Events.
//
//	Watcher   fsnotify on every folder (added as folders appear), a cheap stat
//	          scan beside it that notices missing events and switches to
//	          polling, and a debounce that turns a burst into one batch.
//	Deps      what a build read (file hashes, folder listings, misses), so a
//	          batch that cannot change the site (identical bytes, editor
//	          temporaries that came and went, files the site never reads)
//	          causes no rebuild and no reload.
//	Reloader  rebuilds through a callback (incrementally: see site.Options.Previous),
//	          keeps an atomic.Pointer[site.Site], sends "reload" or "error".
//	Hub       the SSE endpoint /_live: "hello", "reload", "error" events.
//	Guard     Host and Origin checks against DNS rebinding and other sites.
//
// It never writes into the source folder.
package live
