package bench

import (
	"bufio"
	"crypto/sha256"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Machine is where the figures were measured: they mean little without it.
type Machine struct {
	CPUs       int    `json:"nproc"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model,omitempty"`
	MemoryMB   int    `json:"memory_mb,omitempty"`
	OS         string `json:"os"`
	Kernel     string `json:"kernel,omitempty"`
	Go         string `json:"go"`
	// Temporal is the embedded engine's version and SDK the client's.
	Temporal   string `json:"temporal_server,omitempty"`
	SDK        string `json:"temporal_sdk,omitempty"`
	PostgreSQL string `json:"postgresql,omitempty"`
}

func readMachine() Machine {
	m := Machine{
		CPUs:       runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		OS:         runtime.GOOS + "/" + runtime.GOARCH,
		Go:         runtime.Version(),
		CPUModel:   procField("/proc/cpuinfo", "model name"),
	}
	if kb, err := strconv.Atoi(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB")); err == nil {
		m.MemoryMB = kb / 1024
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "go.temporal.io/server":
				m.Temporal = d.Version
			case "go.temporal.io/sdk":
				m.SDK = d.Version
			}
		}
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc
// file, or "" when there is none (another OS, or no such key).
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// procBytes reads a "key: N kB" line of a /proc status file in bytes.
func procBytes(path, key string) uint64 {
	v := strings.TrimSuffix(procField(path, key), " kB")
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0
	}
	return n * 1024
}

// cpuTimes is the machine's CPU time from /proc/stat, summed over CPUs:
// busy (user, nice, system, irq, softirq), the whole (busy, idle and I/O
// wait) and steal, the time the hypervisor ran something else while these
// CPUs wanted to run. ok is false where /proc/stat does not say.
func cpuTimes() (busy, whole, steal time.Duration, ok bool) {
	const tick = 10 * time.Millisecond // USER_HZ, as in processTreeCPU
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, 0, false
	}
	var v [8]int64
	for i := range v {
		if v[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
			return 0, 0, 0, false
		}
	}
	busyT := v[0] + v[1] + v[2] + v[5] + v[6]
	return time.Duration(busyT) * tick, time.Duration(busyT+v[3]+v[4]) * tick, time.Duration(v[7]) * tick, true
}

// calibrate times a fixed piece of CPU work on one goroutine: hashing
// 8 MiB. On a virtual machine whose cores are shared with other tenants,
// it takes longer when the host is busy even if no steal time is
// accounted, so a round's figures can be set beside the machine's speed
// at the time.
func calibrate() time.Duration {
	buf := make([]byte, 1<<20)
	t0 := time.Now()
	h := sha256.New()
	for range 8 {
		h.Write(buf)
	}
	_ = h.Sum(nil)
	return time.Since(t0)
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processTreeCPU is the CPU time, user and system, of process pid and its
// children, living and reaped: PostgreSQL's postmaster and its backends,
// which take the same cores as the engine. It reads /proc; on a system
// without it the answer is zero and ok false.
func processTreeCPU(pid int) (time.Duration, bool) {
	const tick = 10 * time.Millisecond // USER_HZ is 100 on every Linux architecture Go supports
	fields := func(p string) []string {
		b, err := os.ReadFile(filepath.Join("/proc", p, "stat"))
		if err != nil {
			return nil
		}
		// The command name is in parentheses and may hold spaces.
		_, rest, ok := strings.Cut(string(b), ") ")
		if !ok {
			return nil
		}
		return strings.Fields(rest) // [0] is the state: field 3 of proc(5)
	}
	num := func(f []string, field int) int64 {
		n, _ := strconv.ParseInt(f[field-3], 10, 64)
		return n
	}
	root := fields(strconv.Itoa(pid))
	if len(root) < 15 {
		return 0, false
	}
	ticks := num(root, 14) + num(root, 15) + num(root, 16) + num(root, 17)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' || e.Name() == strconv.Itoa(pid) {
			continue
		}
		f := fields(e.Name())
		if len(f) < 15 || f[1] != strconv.Itoa(pid) {
			continue
		}
		ticks += num(f, 14) + num(f, 15)
	}
	return time.Duration(ticks) * tick, true
}
