// Package pgcluster runs a private PostgreSQL server from the binaries
// installed on the machine: a durable one for development and throwaway ones
// for tests. Production points DATABASE_URL at a real server and never starts
// this.
//
// The server listens on 127.0.0.1 only and trusts every local connection, so
// it is for a developer's machine or a CI job, never for shared hosts.
package pgcluster

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// User is the superuser initdb creates.
	User = "takedown"
	// Database is the database Start makes sure exists.
	Database = "takedown"

	// startTimeout bounds how long a server may take to accept connections;
	// crash recovery after a SIGKILL can take a while on a slow disk.
	startTimeout = 60 * time.Second
)

// errPortInUse marks a start that failed because another program holds the
// port, so that a port picked by us can be replaced by another.
var errPortInUse = errors.New("port already in use")

// Config says where the cluster lives and how it runs.
type Config struct {
	// Dir holds the data directory (Dir/pgdata), the server log, the Unix
	// socket and the port of the last start. Created if missing.
	Dir string
	// Port is the TCP port on 127.0.0.1. Zero reuses the port of the last
	// start, or picks a free one.
	Port int
	// Ephemeral is for tests: durability is traded for speed (fsync,
	// synchronous_commit and full_page_writes off) and the server is a child
	// of this process that dies with it, so a killed test run leaves no
	// server behind. A durable cluster is started with pg_ctl and outlives
	// this process; the next Start reuses it.
	Ephemeral bool
	Logger    *slog.Logger

	// binDirs replaces where binaries are looked for (tests).
	binDirs func() []string
}

// Cluster is a running server.
type Cluster struct {
	dir       string
	data      string
	bin       binaries
	cred      *syscall.Credential
	port      int
	ephemeral bool
	logger    *slog.Logger

	// child and exited are set when this process runs the server itself
	// (Ephemeral); exited is closed when it has ended.
	child  *exec.Cmd
	exited chan struct{}
}

// Start creates the cluster on first use, starts its server (or adopts one
// that is already running on the same data directory, as happens after this
// process was killed) and makes sure the database Database exists.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.Dir == "" {
		return nil, errors.New("start postgres: Dir is required")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{
		dir:       dir,
		data:      filepath.Join(dir, "pgdata"),
		ephemeral: cfg.Ephemeral,
		logger:    cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
	}
	binDirs := defaultBinDirs
	if cfg.binDirs != nil {
		binDirs = cfg.binDirs
	}
	wantMajor := ""
	if b, err := os.ReadFile(filepath.Join(c.data, "PG_VERSION")); err == nil {
		wantMajor = strings.TrimSpace(string(b))
	}
	if c.bin, err = findBinaries(binDirs(), wantMajor); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	var userName string
	if c.cred, userName, err = serverUser(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := prepareDir(dir, c.cred, userName, c.logger); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	// Two processes of a development stack may start together on the same
	// directory; only one may run initdb or pg_ctl start.
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	defer unlock()

	if err := c.initdb(ctx); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	reused, err := c.startServer(ctx, cfg.Port)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := c.createDatabase(ctx); err != nil {
		// Leave a durable server running: it holds data and the next start
		// adopts it. A child of ours would otherwise linger until we exit.
		if c.child != nil {
			_ = c.Stop(context.WithoutCancel(ctx))
		}
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c.logger.Info("postgres ready", "dir", dir, "port", c.port, "reused", reused, "ephemeral", c.ephemeral)
	return c, nil
}

// URL is the connection string of the database Database.
func (c *Cluster) URL() string { return c.DatabaseURL(Database) }

// DatabaseURL is the connection string of another database on the server.
func (c *Cluster) DatabaseURL(name string) string { return databaseURL(c.port, name) }

// Port is the TCP port the server listens on.
func (c *Cluster) Port() int { return c.port }

func databaseURL(port int, name string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(User),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/" + name,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Stop shuts the server down, rolling back open transactions ("fast"
// shutdown) rather than waiting for clients to leave.
func (c *Cluster) Stop(ctx context.Context) error {
	if c.child != nil {
		if err := c.child.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("stop postgres: %w", err)
		}
		select {
		case <-c.exited:
			return nil
		case <-ctx.Done():
			// Immediate shutdown: the data is throwaway.
			_ = c.child.Process.Signal(syscall.SIGQUIT)
			return fmt.Errorf("stop postgres: %w", ctx.Err())
		}
	}
	out, err := c.command(ctx, "pg_ctl", "stop", "-D", c.data, "-m", "fast", "-w", "-t", "60", "-s").CombinedOutput()
	if err != nil {
		if _, running := c.runningPort(ctx); !running {
			return nil
		}
		return fmt.Errorf("stop postgres: pg_ctl stop: %w: %s", err, bytes.TrimSpace(out))
	}
	c.logger.Info("postgres stopped", "dir", c.dir)
	return nil
}

// initdb creates the data directory on first use. It is built under another
// name and renamed when complete, so that an interrupted initdb never leaves
// a half-made cluster that later starts would trip over.
func (c *Cluster) initdb(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.data, "PG_VERSION")); err == nil {
		return nil
	}
	tmp := c.data + ".init"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove unfinished %s: %w", tmp, err)
	}
	args := []string{"-D", tmp, "-U", User, "--auth=trust", "-E", "UTF8", "--no-locale"}
	if c.ephemeral {
		args = append(args, "--no-sync")
	}
	if out, err := c.command(ctx, "initdb", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, lastLines(out, 15))
	}
	if err := os.Rename(tmp, c.data); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	if !c.ephemeral {
		if err := syncDir(c.dir); err != nil {
			return fmt.Errorf("initdb: %w", err)
		}
	}
	c.logger.Info("postgres cluster created", "dir", c.dir)
	return nil
}

// startServer adopts a server already running on the data directory or
// starts one, and returns whether it adopted one.
func (c *Cluster) startServer(ctx context.Context, requested int) (bool, error) {
	if !c.ephemeral {
		if port, running := c.runningPort(ctx); running {
			if requested != 0 && requested != port {
				c.logger.Warn("postgres already running on another port; using it",
					"dir", c.dir, "port", port, "requested_port", requested)
			}
			c.port = port
			return true, nil
		}
	}
	port, picked, err := c.choosePort(requested)
	if err != nil {
		return false, err
	}
	for attempt := 1; ; attempt++ {
		err := c.launch(ctx, port)
		if err == nil {
			break
		}
		// A port we picked can be taken by someone else between our check
		// and the server's bind (parallel test binaries): pick another.
		if !picked || attempt == 3 || !errors.Is(err, errPortInUse) {
			return false, err
		}
		if port, err = freePort(); err != nil {
			return false, err
		}
	}
	c.port = port
	if err := os.WriteFile(c.portFile(), []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
		return false, fmt.Errorf("record port: %w", err)
	}
	return false, nil
}

// launch starts the server on port and returns once it accepts connections.
func (c *Cluster) launch(ctx context.Context, port int) error {
	offset := fileSize(c.logFile())
	opts := c.serverOptions(port)
	if c.ephemeral {
		if err := c.startChild(opts); err != nil {
			return err
		}
	} else {
		quoted := make([]string, len(opts))
		for i, o := range opts {
			quoted[i] = shellQuote(o)
		}
		// pg_ctl hands -o to a shell, hence the quoting. -l keeps the
		// server's output away from our pipes: a daemon holding them open
		// would make waiting for pg_ctl hang.
		out, err := c.command(ctx, "pg_ctl", "start", "-w", "-t", strconv.Itoa(int(startTimeout.Seconds())), "-s",
			"-D", c.data, "-l", c.logFile(), "-o", strings.Join(quoted, " ")).CombinedOutput()
		if err != nil {
			return c.startError(fmt.Errorf("pg_ctl start: %w: %s", err, bytes.TrimSpace(out)), offset)
		}
	}
	conn, err := c.connect(ctx, port)
	if err != nil {
		if c.child != nil {
			_ = c.child.Process.Signal(syscall.SIGQUIT)
			<-c.exited
			c.child, c.exited = nil, nil
		}
		return c.startError(err, offset)
	}
	return conn.Close(ctx)
}

func (c *Cluster) serverOptions(port int) []string {
	opts := []string{"-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1", "-k", c.socketDir()}
	if c.ephemeral {
		opts = append(opts, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	return opts
}

// socketDir puts the Unix socket in the cluster directory when its path
// fits the kernel's limit (about 107 bytes), and otherwise disables it: TCP
// on 127.0.0.1 is what clients use.
func (c *Cluster) socketDir() string {
	if len(c.dir)+len("/.s.PGSQL.65535.lock") < 100 {
		return c.dir
	}
	return ""
}

// startChild runs postgres as our child. SIGQUIT on our death makes the
// kernel stop it (immediate shutdown) however this process ends, even when
// a test binary is killed by its timeout.
func (c *Cluster) startChild(opts []string) error {
	logf, err := os.OpenFile(c.logFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer logf.Close()
	// Not tied to the start context: the server must outlive it.
	cmd := c.command(context.Background(), "postgres", append([]string{"-D", c.data}, opts...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr.Setpgid = true // a Ctrl-C in the terminal is ours to handle, not the server's
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	// The kernel sends Pdeathsig when the thread that forked the child
	// exits, not the process; the Go runtime may retire idle threads, so the
	// fork happens on a thread locked to a goroutine that lives as long as
	// the server.
	started := make(chan error)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.child, c.exited = cmd, exited
	return nil
}

// connect waits until the server accepts connections. A server may be
// starting up, recovering after a crash, or (ours) may have exited.
func (c *Cluster) connect(ctx context.Context, port int) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgx.Connect(actx, databaseURL(port, "postgres"))
		acancel()
		if err == nil {
			return conn, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for postgres on port %d: %w", port, err)
		case <-c.exited: // nil, so never ready, when the server is not our child
			return nil, errors.New("postgres exited during startup")
		case <-tick.C:
		}
	}
}

func (c *Cluster) createDatabase(ctx context.Context) error {
	conn, err := c.connect(ctx, c.port)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", Database).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", Database, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{Database}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile by another process
		err = nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", Database, err)
	}
	return nil
}

// PID is the running server's process id, from postmaster.pid.
func (c *Cluster) PID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("postgres pid: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, fmt.Errorf("postgres pid: postmaster.pid starts with %q", line)
	}
	return pid, nil
}

// runningPort reports whether a server is running on the data directory,
// and on which port, from what it wrote in postmaster.pid.
func (c *Cluster) runningPort(ctx context.Context) (int, bool) {
	// Exit status 0 means running; 3 not running; 4 no data directory.
	if err := c.command(ctx, "pg_ctl", "status", "-D", c.data).Run(); err != nil {
		return 0, false
	}
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	// Line 4 of postmaster.pid is the port.
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return 0, false
	}
	return port, true
}

// choosePort returns the port to start on and whether it was picked by us
// (and may be replaced if taken).
func (c *Cluster) choosePort(requested int) (int, bool, error) {
	if requested != 0 {
		return requested, false, nil
	}
	// Keep the port of the last start, so that URLs a developer copied keep
	// working, unless something else took it meanwhile.
	if b, err := os.ReadFile(c.portFile()); err == nil {
		if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			if portFree(p) {
				return p, true, nil
			}
			c.logger.Info("the cluster's previous port is taken; picking another", "dir", c.dir, "port", p)
		}
	}
	p, err := freePort()
	return p, true, err
}

func (c *Cluster) portFile() string { return filepath.Join(c.dir, "port") }
func (c *Cluster) logFile() string  { return filepath.Join(c.dir, "postgres.log") }

// startError adds what the server logged since offset, which is where the
// real reason for a failed start is.
func (c *Cluster) startError(err error, offset int64) error {
	tail := c.logSince(offset)
	if strings.Contains(tail, "already in use") {
		err = fmt.Errorf("%w (%w)", err, errPortInUse)
	}
	if tail == "" {
		return err
	}
	return fmt.Errorf("%w\nserver log (%s):\n%s", err, c.logFile(), tail)
}

func (c *Cluster) logSince(offset int64) string {
	f, err := os.Open(c.logFile())
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return lastLines(b, 15)
}

// command runs a PostgreSQL program as the server user, from the cluster
// directory (the server user may not be allowed into our working directory).
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.bin.path(name), args...)
	cmd.Dir = c.dir
	// Messages in English, so that startError can recognize them.
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	return cmd
}

// lockDir takes an exclusive lock on the cluster directory until the
// returned function is called.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "start.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
