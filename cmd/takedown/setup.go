package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/takedown-oss/takedown/internal/config"
	"github.com/takedown-oss/takedown/internal/reports"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/workflows"
)

// setupConfig is everything setup reads.
type setupConfig struct {
	common
	RuntimeRole     string
	RuntimePassword string
}

func loadSetup(e *env) (setupConfig, error) {
	c := setupConfig{
		common:          config.LoadCommon(e),
		RuntimeRole:     e.Str("TAKEDOWN_RUNTIME_ROLE", ""),
		RuntimePassword: e.Secret("TAKEDOWN_RUNTIME_PASSWORD"),
	}
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required (the owner role's URL: setup migrates)"))
	}
	if c.Temporal == "" {
		errs = append(errs, errors.New("TEMPORAL_ADDRESS is required (setup registers the search attributes)"))
	}
	if (c.RuntimeRole == "") != (c.RuntimePassword == "") {
		errs = append(errs, errors.New("TAKEDOWN_RUNTIME_ROLE and TAKEDOWN_RUNTIME_PASSWORD go together"))
	}
	return c, errors.Join(e.Err(), errors.Join(errs...))
}

// runSetup prepares a deployment: the schema, the runtime role, the
// namespace's search attributes and the daily report's schedule. Every step checks before it acts, so
// running it again changes nothing and says so.
func runSetup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := parseFlags("setup", args, stderr); err != nil {
		return err
	}
	c, err := loadSetup(&env{Getenv: getenv})
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := config.NewLogger(c.common, stderr)
	if err := store.Migrate(ctx, c.DatabaseURL, logger); err != nil {
		return err
	}
	st, err := openStore(ctx, c.common, logger, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	version, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database: schema at version %d\n", version)
	if c.RuntimeRole != "" {
		res, err := st.EnsureRuntimeRole(ctx, c.RuntimeRole, c.RuntimePassword)
		if err != nil {
			return err
		}
		if res.Created {
			fmt.Fprintf(stdout, "database: runtime role %s created (member of %s)\n", c.RuntimeRole, store.RuntimeGroup)
		} else {
			fmt.Fprintf(stdout, "database: runtime role %s exists; password set, membership of %s checked\n", c.RuntimeRole, store.RuntimeGroup)
		}
	} else {
		fmt.Fprintf(stdout, "database: no TAKEDOWN_RUNTIME_ROLE given; grant %s to the role serve and worker use (see README)\n", store.RuntimeGroup)
	}

	// Setup needs no payload key: it starts nothing and reads no payload.
	opts := temporalOptions(c.common, logger, nil)
	opts.DataConverter = nil
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tc, err := dialWithRetry(dctx, opts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", c.Temporal, err)
	}
	defer tc.Close()
	added, err := ensureSearchAttributes(ctx, tc, c.Namespace)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(workflows.SearchAttributeTypes)) {
		state := "already registered"
		if slices.Contains(added, name) {
			state = "registered"
		}
		fmt.Fprintf(stdout, "engine: search attribute %s (%s) %s in namespace %s\n",
			name, workflows.SearchAttributeTypes[name], state, c.Namespace)
	}
	created, err := reports.EnsureSchedule(ctx, tc)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "engine: schedule %s created (daily at 00:10 UTC)\n", workflows.DailyReportSchedule)
	} else {
		fmt.Fprintf(stdout, "engine: schedule %s already exists\n", workflows.DailyReportSchedule)
	}
	fmt.Fprintln(stdout, "setup complete")
	return nil
}

// dialWithRetry waits for the engine, which may still be starting when a
// whole deployment comes up at once.
func dialWithRetry(ctx context.Context, opts client.Options) (client.Client, error) {
	for {
		tc, err := client.DialContext(ctx, opts)
		if err == nil {
			return tc, nil
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Second):
		}
	}
}

// missingSearchAttributes lists the attributes the workflows set that the
// namespace lacks, and those registered with another type.
func missingSearchAttributes(ctx context.Context, tc client.Client, namespace string) (missing, wrongType []string, err error) {
	resp, err := tc.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, nil, fmt.Errorf("list search attributes of namespace %s: %w", namespace, err)
	}
	for _, name := range slices.Sorted(maps.Keys(workflows.SearchAttributeTypes)) {
		have, ok := resp.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case have != workflows.SearchAttributeTypes[name]:
			wrongType = append(wrongType, fmt.Sprintf("%s is %s, want %s", name, have, workflows.SearchAttributeTypes[name]))
		}
	}
	return missing, wrongType, nil
}

// ensureSearchAttributes registers the missing attributes and returns
// their names. One registered with another type is an error an operator
// must resolve: changing it would break the namespace's other users.
func ensureSearchAttributes(ctx context.Context, tc client.Client, namespace string) ([]string, error) {
	missing, wrong, err := missingSearchAttributes(ctx, tc, namespace)
	if err != nil {
		return nil, err
	}
	if len(wrong) > 0 {
		return nil, fmt.Errorf("namespace %s: search attributes of the wrong type: %v", namespace, wrong)
	}
	if len(missing) == 0 {
		return nil, nil
	}
	add := map[string]enumspb.IndexedValueType{}
	for _, name := range missing {
		add[name] = workflows.SearchAttributeTypes[name]
	}
	if _, err := tc.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: add,
	}); err != nil {
		return nil, fmt.Errorf("register search attributes %v in namespace %s: %w", missing, namespace, err)
	}
	// The frontend serves new attributes once its cache has them; wait, so
	// that a confirm right after setup does not find them unknown.
	for {
		still, _, err := missingSearchAttributes(ctx, tc, namespace)
		if err != nil {
			return nil, err
		}
		if len(still) == 0 {
			return missing, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("search attributes %v not visible in namespace %s yet: %w", still, namespace, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
