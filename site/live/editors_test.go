package live

import (
	"fmt"
	"os"
	"path/filepath"
)

// The save sequences of common editors, replayed with real file operations.
// Each writes data to path the way that editor does, temporaries and backups
// included. Sources: each editor's documented behaviour and strace/inotify
// traces of its default configuration.
var editors = []struct {
	name string
	save func(path string, data []byte) error
}{
	// vim with backupcopy=no (the default on Unix when the file has one
	// link): probe the folder with "4913", rename the file to its backup
	// file~, write a new file, delete the backup.
	{"vim", func(p string, data []byte) error {
		dir := filepath.Dir(p)
		if err := os.WriteFile(filepath.Join(dir, "4913"), nil, 0o644); err != nil {
			return err
		}
		if err := os.Remove(filepath.Join(dir, "4913")); err != nil {
			return err
		}
		if err := os.Rename(p, p+"~"); err != nil {
			return err
		}
		if err := writeSync(p, data); err != nil {
			return err
		}
		return os.Remove(p + "~")
	}},
	// neovim: the same dance, but its backup lives outside the folder
	// (~/.local/state/nvim/backup), so the file moves out of the tree first;
	// the swap file .name.swp is written beside it.
	{"neovim", func(p string, data []byte) error {
		dir := filepath.Dir(p)
		swp := filepath.Join(dir, "."+filepath.Base(p)+".swp")
		if err := os.WriteFile(swp, []byte("b0nvim"), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "4913"), nil, 0o644); err != nil {
			return err
		}
		_ = os.Remove(filepath.Join(dir, "4913"))
		backup := filepath.Join(os.TempDir(), fmt.Sprintf("nvim-backup-%d", os.Getpid()))
		if err := os.Rename(p, backup); err != nil {
			// across devices: copy, as nvim falls back to
			old, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(backup, old, 0o644); err != nil {
				return err
			}
		}
		if err := writeSync(p, data); err != nil {
			return err
		}
		_ = os.Remove(backup)
		return os.Remove(swp)
	}},
	// JetBrains IDEs' "safe write": write name___jb_tmp___, rename the file
	// to name___jb_old___, rename the temporary over, delete the old one.
	{"jetbrains", func(p string, data []byte) error {
		if err := writeSync(p+"___jb_tmp___", data); err != nil {
			return err
		}
		if err := os.Rename(p, p+"___jb_old___"); err != nil {
			return err
		}
		if err := os.Rename(p+"___jb_tmp___", p); err != nil {
			return err
		}
		return os.Remove(p + "___jb_old___")
	}},
	// VS Code writes in place: truncate, then write.
	{"vscode", func(p string, data []byte) error {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}},
	// Emacs: a lock symlink .#name, an auto-save file #name#, and on the
	// first save a backup made by renaming the file to name~.
	{"emacs", func(p string, data []byte) error {
		dir, base := filepath.Dir(p), filepath.Base(p)
		lock := filepath.Join(dir, ".#"+base)
		if err := os.Symlink("author@host.1234:1700000000", lock); err != nil {
			return err
		}
		auto := filepath.Join(dir, "#"+base+"#")
		if err := os.WriteFile(auto, data, 0o644); err != nil {
			return err
		}
		if err := os.Rename(p, p+"~"); err != nil {
			return err
		}
		if err := writeSync(p, data); err != nil {
			return err
		}
		if err := os.Remove(auto); err != nil {
			return err
		}
		return os.Remove(lock)
	}},
	// Kate (KTextEditor): a swap file .name.kate-swp while editing, and
	// QSaveFile: write name.XXXXXX, then rename it over the file.
	{"kate", func(p string, data []byte) error {
		dir, base := filepath.Dir(p), filepath.Base(p)
		swp := filepath.Join(dir, "."+base+".kate-swp")
		if err := os.WriteFile(swp, []byte("Kate Swap File 2.0"), 0o644); err != nil {
			return err
		}
		tmp := p + ".aBc123"
		if err := writeSync(tmp, data); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
		return os.Remove(swp)
	}},
	// Helix: write to a temporary beside the file, then rename it over.
	{"helix", func(p string, data []byte) error {
		tmp := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".helix-tmp")
		if err := writeSync(tmp, data); err != nil {
			return err
		}
		return os.Rename(tmp, p)
	}},
	// gedit and other GIO programs: .goutputstream-XXXXXX, then a rename
	// over the file (with a backup name~ when backups are on).
	{"gedit", func(p string, data []byte) error {
		tmp := filepath.Join(filepath.Dir(p), ".goutputstream-QX81Z2")
		if err := writeSync(tmp, data); err != nil {
			return err
		}
		_ = os.Remove(p + "~")
		if err := os.Link(p, p+"~"); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
		return os.Remove(p + "~")
	}},
	// Sublime Text with atomic_save: a temporary in the same folder,
	// renamed over the file.
	{"sublime", func(p string, data []byte) error {
		tmp := p + ".sublime-tmp"
		if err := writeSync(tmp, data); err != nil {
			return err
		}
		return os.Rename(tmp, p)
	}},
}

// writeSync writes a new file and fsyncs it, as careful editors do.
func writeSync(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
