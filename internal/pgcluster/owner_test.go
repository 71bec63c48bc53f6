package pgcluster

import (
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestCanTraverse(t *testing.T) {
	cred := &syscall.Credential{Uid: 101, Gid: 104}
	tests := []struct {
		name     string
		perm     os.FileMode
		uid, gid uint32
		want     bool
	}{
		{"owner with x", 0o700, 101, 0, true},
		{"owner without x", 0o077, 101, 0, false},
		{"group with x", 0o710, 0, 104, true},
		{"group without x", 0o701, 0, 104, false},
		{"others with x", 0o701, 0, 0, true},
		{"others without x", 0o770, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canTraverse(tt.perm, tt.uid, tt.gid, cred); got != tt.want {
				t.Errorf("canTraverse(%o, %d, %d) = %v, want %v", tt.perm, tt.uid, tt.gid, got, tt.want)
			}
		})
	}
}

// TestMakeReachable checks that a private temporary directory is opened for
// traversal, and that one elsewhere is left alone with a useful error.
func TestMakeReachable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs PostgreSQL as another user")
	}
	cred := &syscall.Credential{Uid: 65534, Gid: 65534}
	logger := slog.New(slog.DiscardHandler)
	dir, err := os.MkdirTemp("", "pgcluster-reach-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	t.Run("outside the temporary directory", func(t *testing.T) {
		t.Setenv("TMPDIR", "/nonexistent-temporary-directory")
		err := makeReachable(dir, cred, "nobody", logger)
		if err == nil || !strings.Contains(err.Error(), "chmod o+x "+dir) {
			t.Errorf("makeReachable() error = %v, want advice to chmod o+x %s", err, dir)
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("permissions changed to %o", fi.Mode().Perm())
		}
	})
	t.Run("temporary directory", func(t *testing.T) {
		if err := makeReachable(dir, cred, "nobody", logger); err != nil {
			t.Fatalf("makeReachable() error = %v", err)
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o701 {
			t.Errorf("permissions = %o, want 701 (traverse only)", fi.Mode().Perm())
		}
	})
}
