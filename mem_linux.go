package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// releaseBuildPages drops the executable's read-only pages from the
// process's resident set. Building the site runs most of the binary once
// (goldmark, chroma's lexers, the templates) and serving then runs a small
// part of it; without this, the pages the build touched stay counted in RSS
// for the life of the process (about 13 MB of a 25 MB RSS). The mappings
// are read-only and file-backed, so MADV_DONTNEED loses nothing: a page
// needed again is faulted back in from the page cache. Only the text
// mapping is touched.
func releaseBuildPages() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// start-end perms offset dev inode path
		f := bytes.Fields(sc.Bytes())
		// Only executable text: it is never written, whatever the build
		// mode. Read-only data is left alone, since in a position-
		// independent build the loader may have relocated (written) some
		// of it before making it read-only, and dropping such a page would
		// bring back the unrelocated bytes from the file.
		if len(f) < 6 || string(f[5]) != exe || string(f[1]) != "r-xp" {
			continue
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), syscall.MADV_DONTNEED)
	}
}
