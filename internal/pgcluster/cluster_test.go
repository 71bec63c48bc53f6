package pgcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// helperDirEnv makes the test binary act as a separate process that starts a
// cluster and waits to be killed (see TestHelperProcess).
const (
	helperDirEnv       = "PGCLUSTER_HELPER_DIR"
	helperEphemeralEnv = "PGCLUSTER_HELPER_EPHEMERAL"
)

func TestFindBinaries(t *testing.T) {
	empty := t.TempDir()
	partial := t.TempDir()
	writeScript(t, partial, "initdb", "exit 0")
	fake := t.TempDir()
	for _, name := range []string{"initdb", "postgres"} {
		writeScript(t, fake, name, "exit 0")
	}
	writeScript(t, fake, "pg_ctl", `echo "pg_ctl (PostgreSQL) 99.1 (Fake 99.1-1)"`)

	tests := []struct {
		name      string
		dirs      []string
		wantMajor string
		wantDir   string
		wantErr   string
	}{
		{name: "no directories", dirs: nil, wantErr: ErrBinariesNotFound.Error()},
		{name: "empty and missing directories", dirs: []string{empty, filepath.Join(empty, "nope")}, wantErr: ErrBinariesNotFound.Error()},
		{name: "initdb alone is not an installation", dirs: []string{partial}, wantErr: ErrBinariesNotFound.Error()},
		{name: "first complete installation", dirs: []string{partial, fake}, wantDir: fake},
		{name: "matching major version", dirs: []string{empty, fake}, wantMajor: "99", wantDir: fake},
		{name: "other major version", dirs: []string{fake}, wantMajor: "15", wantErr: "created by PostgreSQL 15 but only version 99 is installed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := findBinaries(tt.dirs, tt.wantMajor)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("findBinaries() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("findBinaries() error = %v", err)
			}
			if b.dir != tt.wantDir {
				t.Errorf("findBinaries() dir = %s, want %s", b.dir, tt.wantDir)
			}
		})
	}
}

func TestStartWithoutBinaries(t *testing.T) {
	_, err := Start(t.Context(), Config{Dir: t.TempDir(), binDirs: func() []string { return nil }})
	if !errors.Is(err, ErrBinariesNotFound) {
		t.Fatalf("Start() error = %v, want ErrBinariesNotFound", err)
	}
	if !strings.Contains(err.Error(), "install the postgresql package or set DATABASE_URL") {
		t.Errorf("error %q does not say what to do", err)
	}
}

func TestMajorOf(t *testing.T) {
	for in, want := range map[string]string{"15.18": "15", "16": "16", "9.6.24": "9.6", "10.1": "10"} {
		if got := majorOf(in); got != want {
			t.Errorf("majorOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDurableRestart follows a development cluster through the life it
// leads: created by a process that is then killed with SIGKILL (the server
// survives), adopted by the next process, stopped, and started again with
// its data and port intact.
func TestDurableRestart(t *testing.T) {
	ctx := t.Context()
	dir := clusterDir(t)

	port := runHelper(t, dir, false)
	pidBefore := postmasterPID(t, dir)

	c, err := Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatalf("Start after the first process was killed: %v", err)
	}
	if c.Port() != port {
		t.Errorf("adopted server port = %d, want %d", c.Port(), port)
	}
	if pid := postmasterPID(t, dir); pid != pidBefore {
		t.Errorf("server pid = %d, want the running server %d to be adopted", pid, pidBefore)
	}
	exec1(t, c.URL(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives restarts')")
	if got := query1(t, c.URL(), "SHOW fsync"); got != "on" {
		t.Errorf("durable cluster fsync = %s, want on", got)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, running := c.runningPort(ctx); running {
		t.Fatal("server still running after Stop")
	}

	c, err = Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	defer c.Stop(context.WithoutCancel(ctx))
	if c.Port() != port {
		t.Errorf("restarted on port %d, want the recorded port %d", c.Port(), port)
	}
	if got := query1(t, c.URL(), "SELECT v FROM kept"); got != "survives restarts" {
		t.Errorf("row after restart = %q", got)
	}
}

// TestEphemeralDiesWithProcess checks that a test cluster cannot outlive the
// process that started it, even when that process is killed.
func TestEphemeralDiesWithProcess(t *testing.T) {
	dir := clusterDir(t)
	port := runHelper(t, dir, true)
	url := databaseURL(port, "postgres")
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := pgx.Connect(t.Context(), url)
		if err != nil {
			return
		}
		conn.Close(t.Context())
		if time.Now().After(deadline) {
			t.Fatal("ephemeral server still accepts connections after its process was killed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestEphemeral(t *testing.T) {
	ctx := t.Context()
	// Under t.TempDir, whose parent only its owner may enter: as root, Start
	// must let the server user through.
	c, err := Start(ctx, Config{Dir: filepath.Join(t.TempDir(), "pg"), Ephemeral: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) }) // before the directory goes, if a check fails
	for setting, want := range map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"} {
		if got := query1(t, c.URL(), "SHOW "+setting); got != want {
			t.Errorf("%s = %s, want %s", setting, got, want)
		}
	}
	if got := query1(t, c.URL(), "SELECT current_database()"); got != Database {
		t.Errorf("URL points at database %s, want %s", got, Database)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := pgx.Connect(ctx, c.URL()); err == nil {
		t.Error("server accepts connections after Stop")
	}
}

// TestHelperProcess is not a test: run by runHelper in a child process, it
// starts a cluster, reports its port and waits to be killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	c, err := Start(context.Background(), Config{Dir: dir, Ephemeral: os.Getenv(helperEphemeralEnv) != ""})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("port", c.Port())
	select {}
}

// runHelper starts a cluster in a child process, kills that process with
// SIGKILL once the cluster is up, and returns the cluster's port.
func runHelper(t *testing.T, dir string, ephemeral bool) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
	if ephemeral {
		cmd.Env = append(cmd.Env, helperEphemeralEnv+"=1")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "port "); ok {
			port, err := strconv.Atoi(p)
			if err != nil {
				t.Fatalf("helper said %q", line)
			}
			return port
		}
		if strings.HasPrefix(line, "error") {
			t.Fatalf("helper process: %s", line)
		}
	}
	t.Fatalf("helper process ended without starting a cluster: %v", sc.Err())
	return 0
}

// clusterDir returns a fresh directory for a cluster, removed (and its
// server stopped) at the end of the test. It sits directly in the system
// temporary directory rather than in t.TempDir, whose parent only root may
// enter: as root, the server runs as another user.
func clusterDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopLeftover(t, dir)
		os.RemoveAll(dir)
	})
	return dir
}

// stopLeftover stops a durable server a failed test left running.
func stopLeftover(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "pgdata", "postmaster.pid")); err != nil {
		return
	}
	bin, err := findBinaries(defaultBinDirs(), "")
	if err != nil {
		return
	}
	cred, _, _ := serverUser()
	c := &Cluster{dir: dir, data: filepath.Join(dir, "pgdata"), bin: bin, cred: cred}
	_ = c.command(context.Background(), "pg_ctl", "stop", "-D", c.data, "-m", "immediate", "-w", "-s").Run()
}

func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "pgdata", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

func exec1(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func query1(t *testing.T, url, sql string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var s string
	if err := conn.QueryRow(t.Context(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func writeScript(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}
