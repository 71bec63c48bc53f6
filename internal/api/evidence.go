package api

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// MaxEvidence is the largest file kept as evidence.
const MaxEvidence = 10 << 20

// evidenceTypes are the kinds of file kept as evidence, as the bytes show
// them (the declared type is not trusted): screenshots, saved documents
// and short recordings.
var evidenceTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "video/mp4"}

// addEvidence keeps the request body as evidence for an item: 201 when
// new, 200 with the stored record when the same file was kept before.
func (s *Server) addEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.store.GetItem(r.Context(), id); errors.Is(err, takedown.ErrNotFound) {
		return errorf(http.StatusNotFound, "not_found", "no item with this id")
	} else if err != nil {
		return err
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxEvidence))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, "file_too_large", "evidence is limited to "+strconv.Itoa(MaxEvidence>>20)+" MiB")
	}
	if err != nil {
		return errorf(http.StatusBadRequest, "unreadable_body", "the file could not be read")
	}
	if len(data) == 0 {
		return errorf(http.StatusUnprocessableEntity, "empty_file", "the file is empty")
	}
	ct := http.DetectContentType(data)
	if !slices.Contains(evidenceTypes, ct) {
		return errorf(http.StatusUnsupportedMediaType, "unsupported_type", "evidence must be a PNG, JPEG, GIF or WebP image, a PDF or an MP4 video")
	}
	u := userFrom(r.Context())
	e, existed, err := s.store.AddEvidence(r.Context(), id, u.ID, ct, data)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	} else {
		s.audit(r.Context(), u, "evidence.add", "item", id.String(), map[string]any{"evidence_id": e.ID, "sha256": e.SHA256, "size_bytes": e.Size})
	}
	writeJSON(w, status, map[string]any{"evidence": e, "existed": existed})
	return nil
}

func (s *Server) listEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	list, err := s.store.ListEvidence(r.Context(), id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Evidence{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"evidence": list})
	return nil
}

// getEvidence sends a file's bytes. Looking is recorded: this is the
// material of victims. The file is never run as a page of this site.
func (s *Server) getEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return errorf(http.StatusNotFound, "not_found", "no such id")
	}
	e, data, err := s.store.EvidenceFile(r.Context(), id)
	if errors.Is(err, takedown.ErrNotFound) {
		return errorf(http.StatusNotFound, "not_found", "no evidence with this id")
	}
	if err != nil {
		return err
	}
	s.audit(r.Context(), userFrom(r.Context()), "evidence.view", "item", e.ItemID.String(), map[string]any{"evidence_id": e.ID})
	w.Header().Set("Content-Type", e.ContentType)
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Evidence-SHA256", e.SHA256)
	_, _ = w.Write(data)
	return nil
}
