package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/config"
	"github.com/takedown-oss/takedown/internal/password"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// stdin is where --password-stdin reads; tests replace it.
var stdin io.Reader = os.Stdin

// maxTokenTTL bounds --expires: a token that never expires is one nobody
// remembers to revoke.
const maxTokenTTL = 2 * 366 * 24 * time.Hour

const usersUsage = `usage:
  takedown users add NAME --role ROLE [--password-stdin]
  takedown users list
  takedown users set-role NAME ROLE
  takedown users set-password NAME          (reads the password from stdin)
  takedown users disable NAME
  takedown users enable NAME                (also lifts a sign-in lockout)

Roles: staff, supervisor, auditor, admin (manages accounts, nothing else).
Needs DATABASE_URL. Every change is recorded in the audit log.
`

const tokensUsage = `usage:
  takedown tokens issue NAME [--name TOKEN-NAME] [--expires DURATION]
  takedown tokens list [NAME]
  takedown tokens revoke ID

--expires takes a duration such as 720h or 90d (default 90d, at most 732d).
The token is printed once; only its hash is kept. Needs DATABASE_URL.
`

// openAccounts opens the database for the account commands, which need
// nothing else.
func openAccounts(ctx context.Context, getenv func(string) string, stderr io.Writer) (*store.Store, error) {
	e := &env{Getenv: getenv}
	c := config.LoadCommon(e)
	if c.DatabaseURL == "" {
		e.Fail(errors.New("DATABASE_URL is required"))
	}
	if err := e.Err(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return store.Open(ctx, store.Config{URL: c.DatabaseURL, Logger: config.NewLogger(c, stderr), MaxConns: 2})
}

// parseInterleaved parses flags wherever they stand among the positional
// arguments (`users add alice --role staff`), which flag.Parse alone does
// not, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runUsers(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, usersUsage)
		return errors.New("users: no subcommand given")
	}
	sub := args[0]
	fs := flag.NewFlagSet("users "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usersUsage) }
	role := fs.String("role", "", "the new user's role")
	pwStdin := fs.Bool("password-stdin", false, "read a password for sign-in from stdin")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"add": 1, "list": 0, "set-role": 2, "set-password": 1, "disable": 1, "enable": 1}
	n, ok := want[sub]
	if !ok {
		fmt.Fprint(stderr, usersUsage)
		return fmt.Errorf("users: unknown subcommand %q", sub)
	}
	if len(pos) != n {
		fmt.Fprint(stderr, usersUsage)
		return fmt.Errorf("users %s: takes %d argument(s), got %d", sub, n, len(pos))
	}
	var hash string
	switch {
	case sub == "add" && !takedown.Role(*role).Valid():
		return fmt.Errorf("users add: --role must be staff, supervisor, auditor or admin")
	case sub == "set-role" && !takedown.Role(pos[1]).Valid():
		return fmt.Errorf("users set-role: role must be staff, supervisor, auditor or admin, not %q", pos[1])
	case sub == "set-password" || sub == "add" && *pwStdin:
		// Hashed before the database is opened, so a bad password fails
		// without touching anything.
		if hash, err = readPassword(stdin); err != nil {
			return fmt.Errorf("users %s: %w", sub, err)
		}
	}

	st, err := openAccounts(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	var u takedown.User
	switch sub {
	case "add":
		u, err = st.AddUser(ctx, store.CLI, pos[0], takedown.Role(*role), hash)
		if errors.Is(err, takedown.ErrDuplicate) {
			return fmt.Errorf("users add: a user named %q exists already", pos[0])
		}
	case "list":
		return listUsers(ctx, st, stdout)
	case "set-role":
		u, err = st.SetRole(ctx, store.CLI, pos[0], takedown.Role(pos[1]))
	case "set-password":
		u, err = st.SetPassword(ctx, store.CLI, pos[0], hash)
	case "disable":
		u, err = st.DisableUser(ctx, store.CLI, pos[0])
	case "enable":
		u, err = st.EnableUser(ctx, store.CLI, pos[0])
	}
	if errors.Is(err, takedown.ErrNotFound) {
		return fmt.Errorf("users %s: no user named %q", sub, pos[0])
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s (%s, id %s): %s done\n", u.Name, u.Role, u.ID, sub)
	return nil
}

// readPassword reads one line from r and hashes it. Reading from stdin
// keeps the password out of the shell's history and the process list.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, password.MaxLength+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if err := password.Check(pw); err != nil {
		return "", err
	}
	return password.Hash(pw, password.Default)
}

func listUsers(ctx context.Context, st *store.Store, stdout io.Writer) error {
	list, err := st.ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tSTATE\tPASSWORD\tTOKENS\tCREATED\tID")
	for _, u := range list {
		state := "active"
		switch {
		case u.DisabledAt != nil:
			state = "disabled " + u.DisabledAt.UTC().Format(time.RFC3339)
		case u.LockedUntil != nil && u.LockedUntil.After(time.Now()):
			state = "locked until " + u.LockedUntil.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", u.Name, u.Role, state,
			map[bool]string{true: "yes", false: "no"}[u.HasPassword], u.ActiveTokens, u.CreatedAt.UTC().Format(time.RFC3339), u.ID)
	}
	return tw.Flush()
}

func runTokens(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, tokensUsage)
		return errors.New("tokens: no subcommand given")
	}
	sub := args[0]
	fs := flag.NewFlagSet("tokens "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tokensUsage) }
	name := fs.String("name", "", "a name for the token, e.g. the machine it is for (default: a timestamp)")
	expires := fs.String("expires", "90d", "how long the token lives")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	switch {
	case sub == "issue" && len(pos) == 1, sub == "revoke" && len(pos) == 1, sub == "list" && len(pos) <= 1:
	case sub == "issue" || sub == "revoke" || sub == "list":
		fmt.Fprint(stderr, tokensUsage)
		return fmt.Errorf("tokens %s: wrong number of arguments", sub)
	default:
		fmt.Fprint(stderr, tokensUsage)
		return fmt.Errorf("tokens: unknown subcommand %q", sub)
	}
	var (
		ttl time.Duration
		id  uuid.UUID
	)
	switch sub {
	case "issue":
		if ttl, err = parseTTL(*expires); err != nil {
			return fmt.Errorf("tokens issue: --expires: %w", err)
		}
	case "revoke":
		if id, err = uuid.Parse(pos[0]); err != nil {
			return fmt.Errorf("tokens revoke: %q is not a token id (see tokens list)", pos[0])
		}
	}

	st, err := openAccounts(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "issue":
		now := time.Now()
		tn := *name
		if tn == "" {
			tn = "issued " + now.UTC().Format("2006-01-02 15:04:05")
		}
		t, secret, err := st.IssueToken(ctx, store.CLI, pos[0], tn, now.Add(ttl))
		switch {
		case errors.Is(err, takedown.ErrNotFound):
			return fmt.Errorf("tokens issue: no user named %q", pos[0])
		case errors.Is(err, takedown.ErrDuplicate):
			return fmt.Errorf("tokens issue: %s has a token named %q already", pos[0], tn)
		case err != nil:
			return err
		}
		fmt.Fprintf(stderr, "token %s (%q) for %s, expires %s. It is shown once:\n",
			t.ID, t.Name, t.User, t.ExpiresAt.UTC().Format(time.RFC3339))
		fmt.Fprintln(stdout, secret)
		return nil
	case "revoke":
		t, err := st.RevokeToken(ctx, store.CLI, id)
		if errors.Is(err, takedown.ErrNotFound) {
			return fmt.Errorf("tokens revoke: no token with id %s", id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s (%q) of %s revoked at %s\n", t.ID, t.Name, t.User, t.RevokedAt.UTC().Format(time.RFC3339))
		return nil
	}
	user := ""
	if len(pos) == 1 {
		user = pos[0]
	}
	list, err := st.ListTokens(ctx, user)
	if err != nil {
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tNAME\tSTATE\tEXPIRES\tLAST USED")
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.User, t.Name, t.State(now), stamp(t.ExpiresAt, "never"), stamp(t.LastUsedAt, "-"))
	}
	return tw.Flush()
}

func stamp(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}

// parseTTL reads a Go duration, or a number of days written Nd.
func parseTTL(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (e.g. 90d or 720h)", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration (e.g. 90d or 720h)", s)
		}
	}
	if d <= 0 || d > maxTokenTTL {
		return 0, fmt.Errorf("%s is not between a second and 732 days", s)
	}
	return d, nil
}
