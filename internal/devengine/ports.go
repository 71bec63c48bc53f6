package devengine

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// enginePorts is how many internal ports the engine listens on: metrics,
// and a gRPC and a membership port for each of its services.
const enginePorts = 9

// stablePorts returns the engine's internal ports, the same ones on every
// start over one data directory whenever they are still free.
//
// The engine's services find each other through membership rows in its
// database. After the process is killed, its rows stay "alive" for 20 s, and
// a restart on new ports first tries to join those dead addresses, which
// takes the engine away for most of a minute: every activity the dead
// worker was running waits that long on top of its heartbeat timeout. On
// the same ports, the rows left behind are the new process's own.
func stablePorts(host, file string) ([]int, error) {
	if file == "" {
		return freePorts(host, enginePorts)
	}
	if b, err := os.ReadFile(file); err == nil {
		var ports []int
		if json.Unmarshal(b, &ports) == nil && len(ports) == enginePorts && allFree(host, ports) {
			return ports, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read engine ports: %w", err)
	}
	ports, err := freePorts(host, enginePorts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("create engine data dir: %w", err)
	}
	b, _ := json.Marshal(ports)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return nil, fmt.Errorf("save engine ports: %w", err)
	}
	return ports, nil
}

// allFree reports whether every port can be listened on now.
func allFree(host string, ports []int) bool {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for _, p := range ports {
		if p <= 0 || p > 65535 {
			return false
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			return false
		}
		ls = append(ls, l)
	}
	return true
}
