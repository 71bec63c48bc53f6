package web_test

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

var benchRows = flag.Int("web.rows", 20_000, "takedowns seeded for BenchmarkPages")

// seedSQL fills the database with $1 takedowns over the year before $2:
// 3% open past their deadline at the reminder rungs, 0.1% waiting for a
// supervisor's approval, the rest removed. Each takedown has its item.
const seedSQL = `
WITH s AS (
	SELECT g, ('5eed0000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid AS id,
	       ('5eed0001-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid AS item_id,
	       (ARRAY['telegram','x','meta','youtube'])[1 + g % 4] AS platform,
	       (ARRAY['deepfake_sexual','ncii','sextortion','other_illegal','csam'])[1 + g % 5] AS category,
	       CASE WHEN g % 1000 = 7 THEN 'awaiting_approval' WHEN g % 100 < 3 THEN 'notice_sent' ELSE 'removed' END AS status,
	       $2::timestamptz - interval '365 days' + (g - 1) * (interval '365 days' / $1) AS created_at
	FROM generate_series(1, $1::int) AS g
), i AS (
	INSERT INTO items (id, url, platform, content_id, category, status, created_by, created_at, updated_at)
	SELECT item_id, 'https://t.me/benchchan/' || g, platform, 'bench' || g, category, 'confirmed', $3, created_at, created_at FROM s
)
INSERT INTO takedowns (id, item_id, workflow_id, platform, content_id, url, category, status, escalation_level,
                       deadline, confirmed_by, created_at, updated_at, notice_sent_at, removed_at, closed_at)
SELECT id, item_id, 'takedown-' || id, platform, 'bench' || g, 'https://t.me/benchchan/' || g, category, status,
       CASE status WHEN 'awaiting_approval' THEN 3 WHEN 'notice_sent' THEN 1 + g % 2 ELSE 0 END,
       created_at + interval '1 day', $3, created_at, created_at + interval '3 hours', created_at + interval '1 minute',
       CASE status WHEN 'removed' THEN created_at + interval '3 hours' END,
       CASE status WHEN 'removed' THEN created_at + interval '3 hours' END
FROM s`

// BenchmarkPages measures the server time of each main page, in process
// (no network), with -web.rows takedowns in the database:
//
//	go test ./internal/web -run '^$' -bench Pages -web.rows 1000000
func BenchmarkPages(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	start := time.Now()
	if _, err := e.st.Pool().Exec(ctx, seedSQL, *benchRows, now, e.users[takedown.RoleStaff].ID); err != nil {
		b.Fatal(err)
	}
	if _, err := e.st.Pool().Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d takedowns in %s", *benchRows, time.Since(start).Round(time.Second))
	handler := e.srv.Config.Handler
	pages := []struct {
		name string
		role takedown.Role
		path string
	}{
		{"intake", takedown.RoleStaff, "/app/intake"},
		{"queue", takedown.RoleStaff, "/app/queue"},
		{"takedown", takedown.RoleStaff, "/app/takedowns/" + e.overdue.ID.String()},
		{"overdue", takedown.RoleSupervisor, "/app/overdue"},
		{"escalations", takedown.RoleSupervisor, "/app/escalations"},
		{"compliance", takedown.RoleSupervisor, "/app/compliance"},
		{"search", takedown.RoleAuditor, "/app/takedowns"},
		{"history", takedown.RoleAuditor, "/app/takedowns/" + e.overdue.ID.String() + "/history"},
		{"audit", takedown.RoleAuditor, "/app/audit"},
		{"users", takedown.RoleAdmin, "/app/users"},
	}
	for _, p := range pages {
		secret, _, err := e.st.StartSession(ctx, e.users[p.role], "password", time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", "https://example.test"+p.path, nil)
				req.AddCookie(&http.Cookie{Name: "__Host-takedown-session", Value: secret})
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("%s: %d", p.path, rec.Code)
				}
			}
			b.ReportMetric(float64(*benchRows), "takedowns")
		})
	}
}
