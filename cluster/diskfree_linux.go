package cluster

import "syscall"

// diskFree is the space an unprivileged writer has left on dir's file system.
func diskFree(dir string) (int64, bool) {
	var fs syscall.Statfs_t
	if syscall.Statfs(dir, &fs) != nil {
		return 0, false
	}
	return int64(fs.Bavail) * fs.Bsize, true
}
