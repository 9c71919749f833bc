package snap

import (
	"io"
	"os"
	"path/filepath"
)

// The write path of every file here: fill a temporary file, fsync it, rename it to its real
// name, fsync the directory. The rename is atomic, so a reader sees the old state or the whole
// new file; the first fsync makes the content durable before the name points at it, the second
// makes the name itself durable (on Linux a file's fsync does not persist its directory entry).
// etcd writes snap files in place (pkg/ioutil.WriteAndSyncFile) and renames only the db
// (db.go); here both go the same way.

// writeTemp writes a new temporary file for name with fill, fsyncs and closes it, and returns
// its path. On error nothing is left behind.
func (s *Snapshotter) writeTemp(name string, fill func(io.Writer) (int64, error)) (string, int64, error) {
	f, err := os.CreateTemp(s.dir, name+".*"+tmpSuffix)
	if err != nil {
		return "", 0, err
	}
	n, err := fill(f)
	if err == nil {
		err = s.fsync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", n, err
	}
	return f.Name(), n, nil
}

// publish renames tmp to name and makes the rename durable.
func (s *Snapshotter) publish(tmp, name string) error {
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return s.fsyncDir()
}

func (s *Snapshotter) fsyncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return s.fsync(d)
}

func readDirNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

func exist(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
