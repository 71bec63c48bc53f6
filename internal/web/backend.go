package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// apiError is the API's refusal of a call, as it answered it.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("api %d %s: %s", e.Status, e.Code, e.Message) }

// recorder keeps what the API answers to an in-process call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// call makes one API request on behalf of the person who made r, with
// their cookies and their session's CSRF token, and decodes the JSON
// answer into out. The API decides; a refusal comes back as *apiError.
// Cookies the API sets (a session started or cleared) are passed on.
func (a *App) call(w http.ResponseWriter, r *http.Request, csrf, method, path string, body, out any) (*recorder, error) {
	return a.callKey(w, r, csrf, "", method, path, body, out)
}

// callKey is call with the decision's idempotency key: the API answers a
// repeated key with the first outcome instead of deciding twice.
func (a *App) callKey(w http.ResponseWriter, r *http.Request, csrf, key, method, path string, body, out any) (*recorder, error) {
	var rd io.Reader
	if body != nil {
		if b, ok := body.([]byte); ok {
			rd = bytes.NewReader(b)
		} else if f, ok := body.(rawFile); ok {
			rd = bytes.NewReader(f)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				return nil, fmt.Errorf("encode %s %s: %w", method, path, err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequestWithContext(r.Context(), method, path, rd)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.Host = r.Host
	req.RemoteAddr = r.RemoteAddr
	for _, ck := range r.Cookies() {
		req.AddCookie(ck)
	}
	switch body.(type) {
	case nil:
	case rawFile:
		req.Header.Set("Content-Type", "application/octet-stream")
	case []byte:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if csrf != "" && method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	rec := &recorder{header: http.Header{}}
	a.api.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	for _, c := range rec.header.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", c)
	}
	if rec.status >= 400 {
		e := &apiError{Status: rec.status}
		var eb struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(rec.body.Bytes(), &eb) == nil {
			e.Code, e.Message = eb.Error.Code, eb.Error.Message
		}
		return rec, e
	}
	if out != nil && strings.HasPrefix(rec.header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return rec, fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return rec, nil
}

// me asks the API who the person is, and the CSRF token of their session.
func (a *App) me(w http.ResponseWriter, r *http.Request) (takedown.User, string, error) {
	var body struct {
		User      takedown.User `json:"user"`
		CSRFToken string        `json:"csrf_token"`
	}
	_, err := a.call(w, r, "", http.MethodGet, "/api/v1/me", nil, &body)
	return body.User, body.CSRFToken, err
}

// rawFile is a body sent as it is: an uploaded file.
type rawFile []byte
