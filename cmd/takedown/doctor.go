package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/takedown-oss/takedown/internal/config"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/migrations"
)

// doctorTimeout bounds each check, so that an unreachable part is named
// within seconds instead of hanging the command.
const doctorTimeout = 5 * time.Second

// runDoctor checks what serve and worker need, as a worker configured from
// the same environment sees it, and prints one line per problem. It exits
// non-zero if there is any.
func runDoctor(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := parseFlags("doctor", args, stderr); err != nil {
		return err
	}
	e := &env{Getenv: getenv}
	c, cfgErr := loadWorker(e)
	var problems []string
	problem := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	ok := func(format string, a ...any) { fmt.Fprintf(stdout, "ok       "+format+"\n", a...) }
	for _, err := range flatten(cfgErr) {
		problem("config: %v", err)
	}
	logger := slog.New(slog.DiscardHandler)

	if c.DatabaseURL != "" {
		checkDatabase(ctx, c.common, ok, problem)
	}
	if c.Temporal != "" {
		checkEngine(ctx, c.common, logger, ok, problem)
	}
	hc := &http.Client{Timeout: doctorTimeout}
	for _, p := range takedown.Platforms {
		enabled := false
		for _, q := range c.Platforms {
			enabled = enabled || q == p
		}
		if !enabled {
			ok("%s: disabled (TAKEDOWN_PLATFORMS)", p)
			continue
		}
		if miss := c.Missing[p]; len(miss) > 0 {
			problem("%s: missing credentials or addresses: %s not set", p, strings.Join(miss, ", "))
			continue
		}
		for _, ep := range endpoints(c, p) {
			if err := reach(ctx, hc, ep); err != nil {
				problem("%s: endpoint %s unreachable: %v", p, ep, err)
			} else {
				ok("%s: endpoint %s answers", p, ep)
			}
		}
	}
	for _, line := range problems {
		fmt.Fprintln(stdout, "PROBLEM  "+line)
	}
	if len(problems) > 0 {
		return fmt.Errorf("doctor found %d problem(s)", len(problems))
	}
	fmt.Fprintln(stdout, "no problems found")
	return nil
}

func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func checkDatabase(ctx context.Context, c common, ok, problem func(string, ...any)) {
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	cfg := c.DB.Store(c.DatabaseURL)
	cfg.ConnectTimeout = doctorTimeout
	st, err := store.Open(ctx, cfg)
	if err != nil {
		problem("database: cannot connect to %s: %v", config.RedactURL(c.DatabaseURL), oneLine(err))
		return
	}
	defer st.Close()
	want, _ := migrations.Latest()
	got, err := st.SchemaVersion(ctx)
	switch {
	case err != nil:
		problem("database: %s has no schema (%v): run takedown setup", config.RedactURL(c.DatabaseURL), oneLine(err))
	case got < want:
		problem("database: schema at version %d, this binary needs %d: run takedown setup", got, want)
	default:
		ok("database: %s reachable, schema at version %d", config.RedactURL(c.DatabaseURL), got)
	}
}

func checkEngine(ctx context.Context, c common, logger *slog.Logger, ok, problem func(string, ...any)) {
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	opts := temporalOptions(c, logger, nil)
	opts.DataConverter = nil
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		problem("engine: cannot reach TEMPORAL_ADDRESS %s: %v", c.Temporal, oneLine(err))
		return
	}
	defer tc.Close()
	missing, wrong, err := missingSearchAttributes(ctx, tc, c.Namespace)
	if err != nil {
		problem("engine: %v", oneLine(err))
		return
	}
	for _, name := range missing {
		problem("engine: search attribute %s is not registered in namespace %s: run takedown setup", name, c.Namespace)
	}
	for _, w := range wrong {
		problem("engine: search attribute %s in namespace %s", w, c.Namespace)
	}
	if len(missing)+len(wrong) == 0 {
		ok("engine: %s reachable, namespace %s has every search attribute", c.Temporal, c.Namespace)
	}
}

// endpoints are what a platform's adapter talks to: its API root, and the
// SMTP relay when its channel is e-mail.
func endpoints(c workerConfig, p takedown.Platform) []string {
	var out []string
	smtp := func(chs ...takedown.Channel) {
		for _, ch := range chs {
			if ch == takedown.ChannelEmail {
				port := c.Adapters.Mail.Port
				if port == 0 {
					port = map[string]int{"none": 25, "tls": 465}[string(c.Adapters.Mail.TLS)]
					if port == 0 {
						port = 587
					}
				}
				out = append(out, "smtp://"+net.JoinHostPort(c.Adapters.Mail.Host, strconv.Itoa(port)))
				return
			}
		}
	}
	a := c.Adapters
	switch p {
	case takedown.YouTube:
		out = append(out, a.YouTube.BaseURL)
		smtp(a.YouTube.Channel, a.YouTube.PriorityChannel)
	case takedown.Telegram:
		out = append(out, a.Telegram.PreviewBaseURL)
		smtp(a.Telegram.Channel, a.Telegram.PriorityChannel)
	case takedown.X:
		out = append(out, a.X.APIBaseURL)
		smtp(a.X.Channel, a.X.PriorityChannel)
	case takedown.Meta:
		out = append(out, a.Meta.GraphBaseURL)
		smtp(a.Meta.Channel, a.Meta.PriorityChannel)
	}
	return out
}

// reach reports whether anything answers at the endpoint: any HTTP status
// will do (a root without credentials answers 401 or 404), and for SMTP an
// accepted TCP connection.
func reach(ctx context.Context, hc *http.Client, endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", endpoint)
	}
	if u.Scheme == "smtp" {
		d := net.Dialer{Timeout: doctorTimeout}
		conn, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return errors.New(oneLine(err))
		}
		return conn.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return errors.New(oneLine(err))
	}
	return resp.Body.Close()
}

// oneLine keeps a problem to one line of output.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
