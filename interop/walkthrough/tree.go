package walkthrough

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"etcdwalk/interop/proc"
)

// RepoRoot is the repository's root: the directory above the interop module, which holds
// go.work.
func RepoRoot() (string, error) {
	mod, err := proc.ModuleDir()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(mod)
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		return "", fmt.Errorf("the repository root should hold go.work: %w", err)
	}
	return root, nil
}

// Files lists, relative to root, the files a fresh clone of the work tree would have: those git
// tracks and the new ones it does not ignore, that exist now. pattern (a git pathspec such as
// "*.md") narrows the list; empty lists every file.
func Files(root, pattern string) ([]string, error) {
	args := []string{"ls-files", "-z", "--cached", "--others", "--exclude-standard"}
	if pattern != "" {
		args = append(args, "--", pattern)
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(exit.Stderr))
		}
		return nil, fmt.Errorf("git ls-files in %s (the walkthroughs run in a copy of the git work tree): %w", root, err)
	}
	var files []string
	seen := map[string]bool{}
	for _, f := range bytes.Split(bytes.TrimSuffix(out, []byte{0}), []byte{0}) {
		name := string(f)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		if _, err := os.Lstat(filepath.Join(root, name)); errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree, not yet in the index
		}
		files = append(files, name)
	}
	return files, nil
}

// CopyTree copies root's files (Files) into dst, as a fresh clone of the work tree: no .bin/,
// no data directories, nothing git ignores.
func CopyTree(root, dst string) error {
	files, err := Files(root, "")
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := copyFile(filepath.Join(root, f), filepath.Join(dst, f)); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case !info.Mode().IsRegular():
		return nil // a submodule or a socket: not part of what the docs run
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
