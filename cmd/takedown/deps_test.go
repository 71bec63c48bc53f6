package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestLinksNoDevelopmentPackages keeps the production command lean: the
// embedded engine, the Web UI server, the simulator and the benchmark
// belong to cmd/takedown-dev.
func TestLinksNoDevelopmentPackages(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies with")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := regexp.MustCompile(`^(go\.temporal\.io/server|github\.com/temporalio/ui-server)(/|$)|/internal/(simulator|bench|devstack|engine)$`)
	var found []string
	for _, p := range strings.Fields(string(out)) {
		if forbidden.MatchString(p) {
			found = append(found, p)
		}
	}
	if len(found) > 0 {
		t.Errorf("cmd/takedown links %d development packages, e.g. %v", len(found), found[:min(5, len(found))])
	}
}
