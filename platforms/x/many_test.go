package x_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/x"
)

func TestProbeMany(t *testing.T) {
	const a, b, c, d = "1001", "1002", "1003", "1004"
	var target string
	status, body := 200, `{"data":[{"id":"`+c+`","text":"…","withheld":{"country_codes":["KR"]}},{"id":"`+a+`","text":"…"}],`+
		`"errors":[{"value":"`+b+`","detail":"Could not find tweet with id: [`+b+`].","title":"Not Found Error","resource_type":"tweet","parameter":"ids","resource_id":"`+b+`","type":"https://api.twitter.com/2/problems/resource-not-found"}]}`
	header := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target = r.URL.RequestURI()
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	cl, err := x.New(x.Config{APIBaseURL: srv.URL, BearerToken: bearer, Now: func() time.Time { return t0 }}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	contents := []takedown.Content{{Platform: takedown.X, ID: a}, {Platform: takedown.X, ID: b}, {Platform: takedown.X, ID: c}, {Platform: takedown.X, ID: d}}
	res, err := cl.ProbeMany(context.Background(), contents)
	if err != nil {
		t.Fatal(err)
	}
	if want := "/2/tweets?ids=1001%2C1002%2C1003%2C1004&tweet.fields=withheld"; target != want {
		t.Errorf("request %s, want %s", target, want)
	}
	want := []takedown.ProbeState{takedown.ProbePresent, takedown.ProbeRemoved, takedown.ProbeWithheld, takedown.ProbeUnknown}
	for i, r := range res {
		if r.State != want[i] || !r.CheckedAt.Equal(t0) {
			t.Errorf("post %s: %+v, want %s", contents[i].ID, r, want[i])
		}
	}

	// Over the window: every post waits until the reset X names.
	status, body = 429, `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`
	header["x-rate-limit-reset"] = strconv.FormatInt(t0.Add(9*time.Minute).Unix(), 10)
	_, err = cl.ProbeMany(context.Background(), contents)
	if pe := platforms.Classify(err); pe.Kind != platforms.KindRateLimited || pe.RetryAfter != 9*time.Minute {
		t.Errorf("429: %v (%+v), want rate limited for 9m", err, pe)
	}
	// An answer with neither data nor errors is not an answer.
	status, body = 200, `{}`
	delete(header, "x-rate-limit-reset")
	if _, err = cl.ProbeMany(context.Background(), contents); platforms.Classify(err).Kind != platforms.KindTransient {
		t.Errorf("empty answer: %v, want transient", err)
	}
	if _, err = cl.ProbeMany(context.Background(), make([]takedown.Content, x.BatchSize+1)); platforms.Classify(err).Kind != platforms.KindPermanent {
		t.Errorf("101 posts: %v, want permanent", err)
	}
}
