package pgcluster

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// serverUser returns the credentials the PostgreSQL programs run with, or
// nil to run them as ourselves. initdb and postgres refuse to run as root
// (a compromised server would own the machine), and containers and CI often
// run as root, so there we switch to the "postgres" account when the
// package created one, else to "nobody".
func serverUser() (*syscall.Credential, string, error) {
	if os.Geteuid() != 0 {
		return nil, "", nil
	}
	var lastErr error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			lastErr = err
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			lastErr = fmt.Errorf("user %s has a non-numeric uid or gid", name)
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, name, nil
	}
	return nil, "", fmt.Errorf("running as root, and no unprivileged user (postgres, nobody) to run PostgreSQL as: %w", lastErr)
}

// prepareDir creates dir (its parents readable by everyone, so that the
// server user can reach it) and hands it to the server user.
func prepareDir(dir string, cred *syscall.Credential, userName string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(dir), err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if cred == nil {
		return nil
	}
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("hand %s to user %s: %w", dir, userName, err)
	}
	return checkReachable(filepath.Dir(dir), cred, userName)
}

// checkReachable makes sure the server user can traverse every directory
// above the cluster. Without this the failure shows up later as a cryptic
// "could not change directory" from initdb.
func checkReachable(dir string, cred *syscall.Credential, userName string) error {
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("stat %s: %w", dir, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok && !canTraverse(fi.Mode().Perm(), st.Uid, st.Gid, cred) {
			return fmt.Errorf("directory %s cannot be entered by user %s, which PostgreSQL runs as because this process "+
				"is root: run chmod o+x %s or choose a cluster directory elsewhere", dir, userName, dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

func canTraverse(perm os.FileMode, uid, gid uint32, cred *syscall.Credential) bool {
	switch {
	case uid == cred.Uid:
		return perm&0o100 != 0
	case gid == cred.Gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
