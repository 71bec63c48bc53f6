package bench

import (
	"os"
	"strings"
	"testing"
)

// A status file as Linux 6 writes it (abridged).
const statusFile = `Name:	takedown
Umask:	0022
State:	S (sleeping)
Tgid:	14959
Pid:	14959
VmPeak:	 1825464 kB
VmSize:	 1825464 kB
VmHWM:	   62908 kB
VmRSS:	   61430 kB
RssAnon:	   40000 kB
Threads:	12
SigQ:	0/95232
voluntary_ctxt_switches:	2100
`

func TestProcStatus(t *testing.T) {
	st, err := procStatus(strings.NewReader(statusFile))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]uint64{"VmRSS": 61430 * 1024, "VmHWM": 62908 * 1024, "RssAnon": 40000 * 1024} {
		if st[key] != want {
			t.Errorf("%s = %d, want %d", key, st[key], want)
		}
	}
	// Lines without a kB figure are not memory.
	for _, key := range []string{"Threads", "Pid", "State", "voluntary_ctxt_switches"} {
		if _, ok := st[key]; ok {
			t.Errorf("%s read as a memory figure", key)
		}
	}
	if _, err := procStatus(strings.NewReader("VmRSS:\t  12x4 kB\n")); err == nil {
		t.Error("a malformed figure was accepted")
	}
}

func TestReadProcStatusOfAProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	st, err := readProcStatus(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st["VmRSS"] == 0 || st["VmHWM"] < st["VmRSS"] {
		t.Errorf("VmRSS %d, VmHWM %d: want a resident set no larger than its high-water mark", st["VmRSS"], st["VmHWM"])
	}
	if _, err := readProcStatus(1 << 30); err == nil {
		t.Error("no error for a process that does not exist")
	}
}

func TestMetricValues(t *testing.T) {
	page := `# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 2.9360128e+07
go_memstats_heap_inuse_bytes_total 1
go_goroutines 316
temporal_sticky_cache_size{namespace="default",task_queue="takedown",worker_type="WorkflowWorker"} 200
temporal_sticky_cache_size{namespace="default",task_queue="takedown-send-x",label="a } b"} 7 1733122731000
temporal_sticky_cache_size{namespace="default",task_queue="takedown-probe-x"} NaNish
`
	got := metricValues(page, "go_memstats_heap_inuse_bytes", "go_goroutines", "temporal_sticky_cache_size", "absent")
	want := map[string]float64{
		"go_memstats_heap_inuse_bytes": 29360128,
		"go_goroutines":                316,
		// One cache for the process, reported by every worker: the largest.
		"temporal_sticky_cache_size": 200,
	}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestMaxSample(t *testing.T) {
	m := maxSample([]WorkerSample{
		{AtSeconds: 0, RSSMB: 300, HWMMB: 310, HeapInuseMB: 120, StickyCache: 10000},
		{AtSeconds: 5, RSSMB: 305, HWMMB: 305, HeapInuseMB: 110, StickyCache: 9999},
	})
	if m.RSSMB != 305 || m.HWMMB != 310 || m.HeapInuseMB != 120 || m.StickyCache != 10000 || m.AtSeconds != 5 {
		t.Errorf("max of each figure: got %+v", m)
	}
}
