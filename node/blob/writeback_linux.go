package blob

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeback asks the kernel to start writing a range of f to the disk
// now, without waiting for it, so that the sync which ends a Put finds
// most of the file written already. A failure is no error: the sync
// writes what is left and reports what fails.
func writeback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
