package web

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/api"
)

// addEvidence sends the uploaded file to the API, which checks its type
// and size and keeps it with its SHA-256.
func (a *App) addEvidence(w http.ResponseWriter, r *http.Request, v *view) error {
	td, err := a.getTakedown(w, r, v)
	if err != nil {
		return err
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		return &pageErr{Status: http.StatusUnprocessableEntity, Key: "error.invalid", Detail: v.T("evidence.none")}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, api.MaxEvidence+1))
	if err != nil {
		return err
	}
	var out struct {
		Existed bool `json:"existed"`
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodPost, "/api/v1/items/"+td.ItemID.String()+"/evidence", rawFile(data), &out); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && (ae.Status == http.StatusRequestEntityTooLarge || ae.Status == http.StatusUnsupportedMediaType) {
			return &pageErr{Status: ae.Status, Key: "error.invalid", Detail: v.T("evidence." + ae.Code)}
		}
		return err
	}
	done := "evidence"
	if out.Existed {
		done = "evidence_existed"
	}
	http.Redirect(w, r, "/app/takedowns/"+td.ID.String()+"?done="+done, http.StatusSeeOther)
	return nil
}

// evidenceFile passes a file on from the API, with the API's headers:
// never cached, never run as a page.
func (a *App) evidenceFile(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return pageError(http.StatusNotFound, "error.not_found")
	}
	rec, err := a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/evidence/"+id.String(), nil, nil)
	if err != nil {
		return err
	}
	for _, h := range []string{"Content-Type", "Content-Security-Policy", "Cache-Control", "X-Evidence-Sha256"} {
		w.Header().Set(h, rec.header.Get(h))
	}
	_, _ = w.Write(rec.body.Bytes())
	return nil
}

// IsImage says whether a content type is shown inline (blurred).
func (v *view) IsImage(ct string) bool { return strings.HasPrefix(ct, "image/") }

// Size shows a size in KiB.
func (v *view) Size(n int) string { return v.T("unit.kib", (n+1023)/1024) }
