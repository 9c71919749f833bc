package wal

import (
	"fmt"
	"os"
	"path/filepath"
)

// filePipeline makes the next segment file before the WAL needs it (etcd's file_pipeline.go):
// a cut then only renames a ready file, and the cost of creating and sizing it is paid off the
// write path. Files are named 0.tmp and 1.tmp in turn, so the one being filled is never the one
// just handed out.
type filePipeline struct {
	dir   string
	size  int64
	count int

	filec chan *os.File
	errc  chan error
	donec chan struct{}
}

func newFilePipeline(dir string, size int64) *filePipeline {
	fp := &filePipeline{
		dir:   dir,
		size:  size,
		filec: make(chan *os.File),
		errc:  make(chan error, 1),
		donec: make(chan struct{}),
	}
	go fp.run()
	return fp
}

// Open returns a preallocated file, or the error that stopped the pipeline.
func (fp *filePipeline) Open() (*os.File, error) {
	select {
	case f := <-fp.filec:
		return f, nil
	case err, ok := <-fp.errc:
		if !ok {
			return nil, fmt.Errorf("wal: file pipeline stopped")
		}
		return nil, err
	}
}

// Close stops the pipeline and removes the file it had ready.
func (fp *filePipeline) Close() error {
	close(fp.donec)
	return <-fp.errc
}

func (fp *filePipeline) alloc() (*os.File, error) {
	path := filepath.Join(fp.dir, fmt.Sprintf("%d.tmp", fp.count%2))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := preallocate(f, fp.size); err != nil {
		f.Close()
		return nil, err
	}
	fp.count++
	return f, nil
}

func (fp *filePipeline) run() {
	defer close(fp.errc)
	for {
		f, err := fp.alloc()
		if err != nil {
			fp.errc <- err
			return
		}
		select {
		case fp.filec <- f:
		case <-fp.donec:
			os.Remove(f.Name())
			f.Close()
			return
		}
	}
}

// preallocate gives f its full size up front. etcd asks the file system for the blocks
// (fallocate); a truncate makes the size without reserving them, which is enough for the reader:
// what was never written reads as zeros, the end of the segment.
func preallocate(f *os.File, size int64) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() >= size {
		return nil
	}
	return f.Truncate(size)
}
