package pgcluster

import (
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
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
func prepareDir(dir string, cred *syscall.Credential, userName string, logger *slog.Logger) error {
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
	return makeReachable(filepath.Dir(dir), cred, userName, logger)
}

// makeReachable makes sure the server user can traverse every directory
// above the cluster; without it initdb fails later with a cryptic "could not
// change directory". Temporary directories (os.MkdirTemp makes them 0700)
// are opened for traversal only: nobody can list them, and they are ours.
// Anything else is left to the operator, with a message saying what to do.
func makeReachable(dir string, cred *syscall.Credential, userName string, logger *slog.Logger) error {
	tmp, err := filepath.EvalSymlinks(os.TempDir())
	if err != nil {
		tmp = filepath.Clean(os.TempDir())
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("stat %s: %w", dir, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok && !canTraverse(fi.Mode().Perm(), st.Uid, st.Gid, cred) {
			real, _ := filepath.EvalSymlinks(dir)
			if st.Uid != 0 || !strings.HasPrefix(real, tmp+string(filepath.Separator)) {
				return fmt.Errorf("directory %s cannot be entered by user %s, which PostgreSQL runs as because this process "+
					"is root: run chmod o+x %s or choose a cluster directory elsewhere", dir, userName, dir)
			}
			if err := os.Chmod(dir, fi.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("let user %s enter %s: %w", userName, dir, err)
			}
			logger.Info("letting the PostgreSQL user traverse a temporary directory", "dir", dir, "user", userName)
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
