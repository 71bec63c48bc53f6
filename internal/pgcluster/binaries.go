package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrBinariesNotFound is returned by Start when no PostgreSQL installation
// can be found. The message says what to do, because it is usually the first
// thing a new developer sees.
var ErrBinariesNotFound = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in " +
	"/usr/lib/postgresql/*/bin: install the postgresql package or set DATABASE_URL")

// binaries is one PostgreSQL installation: a directory holding initdb,
// pg_ctl and postgres of the same version.
type binaries struct {
	dir string
}

func (b binaries) path(name string) string { return filepath.Join(b.dir, name) }

// defaultBinDirs lists where to look, in order of preference: PATH first
// (an explicit choice of whoever set it up), then the Debian/Ubuntu layout,
// newest major version first.
func defaultBinDirs() []string {
	dirs := filepath.SplitList(os.Getenv("PATH"))
	versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(versioned, func(a, b string) int {
		return compareVersions(filepath.Base(filepath.Dir(b)), filepath.Base(filepath.Dir(a)))
	})
	return append(dirs, versioned...)
}

// compareVersions orders "9.6" < "15" < "16.2" numerically.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// findBinaries returns the first installation in dirs that has all three
// programs. When wantMajor is set (an existing data directory records the
// version that created it), only an installation of that major version will
// do: a server of another version refuses the directory.
func findBinaries(dirs []string, wantMajor string) (binaries, error) {
	seen := map[string]bool{}
	var other []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if !isExecutable(filepath.Join(d, "initdb")) || !isExecutable(filepath.Join(d, "pg_ctl")) ||
			!isExecutable(filepath.Join(d, "postgres")) {
			continue
		}
		// pg_ctl finds postgres next to its own resolved path, so work
		// from the real directory (PATH often holds symlinks).
		real, err := filepath.EvalSymlinks(filepath.Join(d, "pg_ctl"))
		if err != nil {
			continue
		}
		b := binaries{dir: filepath.Dir(real)}
		if seen[b.dir] {
			continue
		}
		seen[b.dir] = true
		if wantMajor == "" {
			return b, nil
		}
		major, err := majorVersion(b.path("pg_ctl"))
		if err != nil {
			continue
		}
		if major == wantMajor {
			return b, nil
		}
		other = append(other, major)
	}
	if len(other) > 0 {
		return binaries{}, fmt.Errorf("the data directory was created by PostgreSQL %s but only version %s is installed: "+
			"install PostgreSQL %s or remove the data directory", wantMajor, strings.Join(other, ", "), wantMajor)
	}
	return binaries{}, ErrBinariesNotFound
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// majorVersion asks pg_ctl for its version: "pg_ctl (PostgreSQL) 15.18 (Debian …)" → "15".
func majorVersion(pgCtl string) (string, error) {
	out, err := exec.Command(pgCtl, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", pgCtl, err)
	}
	_, rest, ok := strings.Cut(string(out), "(PostgreSQL) ")
	if !ok {
		return "", fmt.Errorf("%s --version: unexpected output %q", pgCtl, out)
	}
	v, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	return majorOf(v), nil
}

// majorOf turns "15.18" into "15" and "9.6.24" into "9.6", the way
// PG_VERSION names versions.
func majorOf(v string) string {
	parts := strings.Split(v, ".")
	if n, err := strconv.Atoi(parts[0]); err == nil && n < 10 && len(parts) > 1 {
		return parts[0] + "." + parts[1]
	}
	return parts[0]
}
