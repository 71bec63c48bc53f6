package devstack

import (
	"fmt"
	"net"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	"github.com/temporalio/ui-server/v2/server/server_options"
)

// startUI serves the Temporal Web UI, so auditors can browse and replay the
// histories of takedowns. The UI server exits the process when it cannot
// bind, so the address is checked first.
func startUI(addr, temporalHostPort, namespace string) (*uiserver.Server, string, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", fmt.Errorf("temporal UI address %q: %w", addr, err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("temporal UI address %s is not available: %w", addr, err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	_ = portStr

	cfg := &uiconfig.Config{
		TemporalGRPCAddress: temporalHostPort,
		Host:                host,
		Port:                port,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		HideLogs:            true,
		DisableNewsFetch:    true,
		RefreshInterval:     24 * time.Hour, // the configuration never changes; refreshing only logs
		CORS:                uiconfig.CORS{CookieInsecure: true},
		// Auditors read; changes go through the takedown API, which checks
		// roles and writes the audit trail.
		DisableWriteActions: true,
	}
	srv := uiserver.NewServer(server_options.WithConfigProvider(cfg))
	go func() { _ = srv.Start() }()
	return srv, "http://" + net.JoinHostPort(host, strconv.Itoa(port)), nil
}
