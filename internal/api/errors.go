package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
)

// Error is what a handler returns to say what the client sees. Anything else a
// handler returns is either a part being down (503, see unavailable) or an
// internal error: logged, and answered with a generic 500 so that internals
// never reach the client.
type Error struct {
	Status  int
	Code    string
	Message string
	Err     error // logged, never sent
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// handler is an http.Handler that returns its error, so that one place
// renders and logs failures.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) wrap(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var ae *Error
		if !errors.As(err, &ae) {
			ae = unavailable(err)
		}
		if ae == nil {
			ae = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error", Err: err}
		}
		level := slog.LevelInfo
		if ae.Status >= 500 {
			level = slog.LevelError
		}
		// The path is logged without the query: filters are harmless, but a
		// habit of logging queries is how URLs of victims' content leak.
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", ae.Status, "code", ae.Code}
		if id := r.PathValue("id"); id != "" && strings.HasPrefix(r.URL.Path, "/api/v1/takedowns/") {
			attrs = append(attrs, "takedown_id", id)
		}
		if ae.Err != nil {
			attrs = append(attrs, "err", ae.Err.Error())
		}
		s.logger.Log(r.Context(), level, "request failed", attrs...)
		writeError(w, ae.Status, ae.Code, ae.Message)
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decode reads a JSON body of at most maxBody bytes into v, refusing unknown
// fields and trailing data.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "body_too_large", "request body is larger than 1 MiB")
		}
		return &Error{Status: http.StatusBadRequest, Code: "malformed_json", Message: "request body is not valid JSON for this endpoint: " + jsonProblem(err), Err: err}
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "malformed_json", "request body has data after the JSON object")
	}
	return nil
}

// jsonProblem describes a decoding error without quoting the body back.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error"
	case errors.As(err, &te):
		return "field " + te.Field + " has the wrong type"
	case err.Error() == "EOF":
		return "empty body"
	}
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return msg
}
