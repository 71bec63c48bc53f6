// Package devengine runs a real Temporal server inside the process, backed by
// SQLite, for development and end-to-end tests. It is the same engine as a
// production cluster, minus the separate database; production deployments
// point TEMPORAL_ADDRESS at a real cluster and never start this.
package devengine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives/timestamp"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// Config says where the engine keeps its state and where it listens.
type Config struct {
	// DatabaseFile is the SQLite file. Empty means an in-memory database that
	// is lost when the process ends (tests).
	DatabaseFile string
	// Host is the address the frontend binds to (default 127.0.0.1).
	Host string
	// FrontendPort is the gRPC port clients dial; 0 picks a free one.
	FrontendPort int
	// Namespace is registered at start (default "default").
	Namespace string
	// SearchAttributes are registered on the namespace at creation.
	SearchAttributes map[string]enumspb.IndexedValueType
	// DynamicConfig overrides engine settings (e.g. faster timers in tests).
	DynamicConfig dynamicconfig.StaticClient
	Logger        *slog.Logger
}

// Engine is a running embedded Temporal server.
type Engine struct {
	srv      temporal.Server
	hostPort string
	ns       string
}

// Start creates the SQLite schema on first use, registers the namespace and
// starts all four Temporal services in this process.
func Start(cfg Config) (*Engine, error) {
	cfg.Host = cmp.Or(cfg.Host, "127.0.0.1")
	cfg.Namespace = cmp.Or(cfg.Namespace, "default")
	logger := cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))

	portsFile := ""
	if cfg.DatabaseFile != "" {
		portsFile = cfg.DatabaseFile + ".ports"
	}
	ports, err := stablePorts(cfg.Host, portsFile)
	if err != nil {
		return nil, fmt.Errorf("pick engine ports: %w", err)
	}
	frontend := cfg.FrontendPort
	if frontend == 0 {
		frontend = ports[0]
	}

	sqlCfg := config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: map[string]string{},
	}
	if cfg.DatabaseFile == "" {
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
		// The SQLite plugin creates the schema itself for in-memory databases.
		sqlCfg.DatabaseName = "takedown-" + strconv.Itoa(frontend)
	} else {
		// WAL triples throughput over the default journal on this engine and
		// keeps a SIGKILL from corrupting the file.
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		sqlCfg.ConnectAttributes["journal_mode"] = "wal"
		sqlCfg.ConnectAttributes["synchronous"] = "normal"
		sqlCfg.DatabaseName = cfg.DatabaseFile
		if _, err := os.Stat(cfg.DatabaseFile); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(cfg.DatabaseFile), 0o700); err != nil {
				return nil, fmt.Errorf("create engine data dir: %w", err)
			}
			if err := sqlite.SetupSchema(&sqlCfg); err != nil {
				return nil, fmt.Errorf("create engine schema: %w", err)
			}
		}
	}

	nsCfg, err := sqlite.NewNamespaceConfig("active", cfg.Namespace, false, cfg.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("namespace config: %w", err)
	}
	// A long retention keeps closed takedowns' histories for auditors to replay.
	nsCfg.Detail.Config.Retention = timestamp.DurationFromDays(3650)
	if err := sqlite.CreateNamespaces(&sqlCfg, nsCfg); err != nil {
		return nil, fmt.Errorf("register namespace %q: %w", cfg.Namespace, err)
	}

	addr := func(p int) string { return net.JoinHostPort(cfg.Host, strconv.Itoa(p)) }
	svc := func(grpc, membership int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpc, MembershipPort: membership, BindOnIP: cfg.Host}}
	}
	conf := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: cfg.Host},
			Metrics: &metrics.Config{Prometheus: &metrics.PrometheusConfig{
				ListenAddress: addr(ports[1]), HandlerPath: "/metrics",
			}},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: &sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: addr(frontend)},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": svc(frontend, ports[2]),
			"history":  svc(ports[3], ports[4]),
			"matching": svc(ports[5], ports[6]),
			"worker":   svc(ports[7], ports[8]),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: addr(frontend)},
	}

	dc := dynamicconfig.StaticClient{
		// One process, one shard: let the engine take the load it can.
		dynamicconfig.FrontendRPS.Key(): 10000,
		// The search attributes are written with the namespace before the
		// services start, so every service's cache begins with them; forcing
		// a refresh on each read (as the CLI's dev server does, for
		// attributes added while it runs) would read the cluster metadata
		// from SQLite on every start and every upsert.
		// Partitions spread a task queue over matching hosts; in one process
		// they only make a new workflow's first task wait, now and then for
		// seconds, in a partition no poller is on (measured in BENCHMARKS.md:
		// bare p95 from start to first task 5.3 s with four, 1.6 s with one).
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		// A timer or an activity retry due sooner than this is held until
		// then (the shift covers clock skew between a cluster's hosts; one
		// process has none): at the default second, every probe retry of a
		// scaled policy and of the benchmark takes a second, whatever the
		// policy asks.
		dynamicconfig.TimerProcessorMaxTimeShift.Key(): 50 * time.Millisecond,
	}
	for k, v := range cfg.DynamicConfig {
		dc[k] = v
	}

	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(newLogger(logger)),
		temporal.WithDynamicConfigClient(dc),
	)
	if err != nil {
		return nil, fmt.Errorf("create engine: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start engine: %w", err)
	}
	return &Engine{srv: srv, hostPort: addr(frontend), ns: cfg.Namespace}, nil
}

// HostPort is the frontend's gRPC address.
func (e *Engine) HostPort() string { return e.hostPort }

// Namespace is the namespace registered at start.
func (e *Engine) Namespace() string { return e.ns }

// Stop shuts all services down.
func (e *Engine) Stop() error { return e.srv.Stop() }

func freePorts(host string, n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// newLogger routes the engine's logs into slog. The engine is chatty at info
// level, so everything below warn goes to debug.
func newLogger(l *slog.Logger) tlog.Logger { return &slogAdapter{l: l.With("component", "temporal")} }

type slogAdapter struct{ l *slog.Logger }

func attrs(tags []tag.Tag) []any {
	out := make([]any, 0, 2*len(tags))
	for _, t := range tags {
		out = append(out, t.Key(), fmt.Sprint(t.Value()))
	}
	return out
}

// log formats the engine's tags only for a record the handler will keep:
// the engine logs on every task at its Info and Debug levels, and
// formatting those tags to drop them cost a busy engine about 1% of its CPU.
func (a *slogAdapter) log(level slog.Level, msg string, tags []tag.Tag) {
	if !a.l.Enabled(context.Background(), level) {
		return
	}
	a.l.Log(context.Background(), level, msg, attrs(tags)...)
}

func (a *slogAdapter) Debug(msg string, tags ...tag.Tag)  { a.log(slog.LevelDebug, msg, tags) }
func (a *slogAdapter) Info(msg string, tags ...tag.Tag)   { a.log(slog.LevelDebug, msg, tags) }
func (a *slogAdapter) Warn(msg string, tags ...tag.Tag)   { a.log(slog.LevelDebug, msg, tags) }
func (a *slogAdapter) Error(msg string, tags ...tag.Tag)  { a.log(slog.LevelWarn, msg, tags) }
func (a *slogAdapter) DPanic(msg string, tags ...tag.Tag) { a.log(slog.LevelError, msg, tags) }
func (a *slogAdapter) Panic(msg string, tags ...tag.Tag) {
	a.l.Error(msg, attrs(tags)...)
	panic(msg)
}
func (a *slogAdapter) Fatal(msg string, tags ...tag.Tag) {
	a.l.Error(msg, attrs(tags)...)
	os.Exit(1)
}
