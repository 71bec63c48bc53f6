package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Notices are sent at most once per idempotency key: the key is claimed
// here before anything leaves the system, and what happened is recorded
// after. A retry that finds the claim tells from its state what to do.

const noticeColumns = `idempotency_key, takedown_id, attempt, channel, priority, state,
	reference, platform_reference, error, created_at, sent_at`

// ClaimNotice reserves a notice's idempotency key. claimed is true when the
// caller may send: the key is new, or its last send is known to have failed.
// Otherwise the existing record is returned and its state says what happened
// before: sent (reuse the submission), sending (a previous try died midway:
// do not send again), uncertain or awaiting_portal.
func (s *Store) ClaimNotice(ctx context.Context, c takedown.NoticeClaim) (n takedown.NoticeRecord, claimed bool, err error) {
	if c.Key == "" {
		return takedown.NoticeRecord{}, false, errors.New("claim notice: idempotency key is required")
	}
	rows, err := s.pool.Query(ctx, `
		INSERT INTO notices AS n (takedown_id, idempotency_key, attempt, channel, priority, state)
		VALUES ($1, $2, $3, $4, $5, 'sending')
		ON CONFLICT (idempotency_key) DO UPDATE SET
			state = 'sending',
			error = '',
			channel = coalesce(nullif(EXCLUDED.channel, ''), n.channel),
			priority = EXCLUDED.priority,
			updated_at = now()
		WHERE n.state = 'failed' AND n.takedown_id = EXCLUDED.takedown_id
		RETURNING `+noticeColumns,
		c.TakedownID, c.Key, c.Attempt, c.Channel, c.Priority)
	if err != nil {
		return takedown.NoticeRecord{}, false, fmt.Errorf("claim notice %s: %w", c.Key, dbError(err))
	}
	got, err := collect(rows, scanNotice)
	if err != nil {
		return takedown.NoticeRecord{}, false, fmt.Errorf("claim notice %s: %w", c.Key, dbError(err))
	}
	if len(got) == 1 {
		return got[0], true, nil
	}
	n, err = scanNotice(s.pool.QueryRow(ctx, `SELECT `+noticeColumns+` FROM notices WHERE idempotency_key = $1`, c.Key))
	if err != nil {
		return takedown.NoticeRecord{}, false, fmt.Errorf("claim notice %s: %w", c.Key, dbError(err))
	}
	if n.TakedownID != c.TakedownID {
		return takedown.NoticeRecord{}, false, fmt.Errorf("claim notice %s: key used by takedown %s: %w", c.Key, n.TakedownID, takedown.ErrConflict)
	}
	return n, false, nil
}

// MarkNoticeSent records what sending returned. state is sent, or
// awaiting_portal when a person must file the notice. Empty channel and
// references leave recorded ones alone, so staff can add the platform's
// case number to a portal notice later.
func (s *Store) MarkNoticeSent(ctx context.Context, key, channel, reference, platformReference string, sentAt time.Time, state takedown.NoticeState) error {
	m := takedown.SentNotice{Key: key, Channel: channel, Reference: reference, PlatformReference: platformReference, SentAt: sentAt, State: state}
	sql, args, err := markSentQuery(m)
	if err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("mark notice %s sent: %w", key, dbError(err))
	}
	got, err := collectMarked(rows, key)
	if err != nil {
		return err
	}
	s.observeMarked(got)
	return nil
}

// RecordNoticeSent is MarkNoticeSent and RecordTransition of the notice's
// step (t) in one round trip and one transaction: every notice that
// leaves is recorded so, and the moment between the platform accepting a
// notice and the record saying so is one statement's, not two.
func (s *Store) RecordNoticeSent(ctx context.Context, m takedown.SentNotice, t takedown.Transition) error {
	msql, margs, err := markSentQuery(m)
	if err != nil {
		return err
	}
	tsql, targs, err := transitionQuery(t)
	if err != nil {
		return err
	}
	// A batch is sent with one Sync: the server runs both statements in
	// one implicit transaction, and a failure of either undoes both.
	b := &pgx.Batch{}
	b.Queue(msql, margs...)
	b.Queue(tsql, targs...)
	br := s.pool.SendBatch(ctx, b)
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return fmt.Errorf("mark notice %s sent: %w", m.Key, dbError(err))
	}
	got, err := collectMarked(rows, m.Key)
	if err != nil {
		_ = br.Close()
		return err
	}
	rec, err := scanRecorded(br.QueryRow(), t)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("record %s for takedown %s: %w", t.Kind, t.TakedownID, dbError(cerr))
	}
	if err != nil {
		return err
	}
	s.observeMarked(got)
	s.observeRecorded(rec, t)
	return nil
}

// markSentQuery is MarkNoticeSent's statement. Its CTE reads the row as
// it was, so that a retried activity marking the same notice again is not
// counted twice.
func markSentQuery(m takedown.SentNotice) (string, []any, error) {
	if m.State != takedown.NoticeSent && m.State != takedown.NoticeAwaitingPortal {
		return "", nil, fmt.Errorf("mark notice %s sent: state must be %s or %s, not %q", m.Key, takedown.NoticeSent, takedown.NoticeAwaitingPortal, m.State)
	}
	return `
		WITH before AS (SELECT id, state FROM notices WHERE idempotency_key = $1)
		UPDATE notices SET
			state = $2,
			channel = coalesce(nullif($3, ''), channel),
			reference = coalesce(nullif($4, ''), reference),
			platform_reference = coalesce(nullif($5, ''), platform_reference),
			sent_at = coalesce($6, now()),
			error = '',
			updated_at = now()
		FROM before
		WHERE notices.id = before.id
		RETURNING before.state, notices.channel, (SELECT platform FROM takedowns WHERE id = notices.takedown_id)`,
		[]any{m.Key, m.State, m.Channel, m.Reference, m.PlatformReference, nullIfZero(m.SentAt)}, nil
}

type markedNotice struct {
	Before   takedown.NoticeState
	Channel  string
	Platform takedown.Platform
}

func collectMarked(rows pgx.Rows, key string) (markedNotice, error) {
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[markedNotice])
	if err != nil {
		return markedNotice{}, fmt.Errorf("mark notice %s sent: %w", key, dbError(err))
	}
	if len(got) == 0 {
		return markedNotice{}, fmt.Errorf("mark notice %s sent: %w", key, takedown.ErrNotFound)
	}
	return got[0], nil
}

// observeMarked counts a notice the first time it is recorded as sent.
func (s *Store) observeMarked(m markedNotice) {
	if m.Before != takedown.NoticeSent && m.Before != takedown.NoticeAwaitingPortal {
		s.observer.NoticeSent(m.Platform, m.Channel)
	}
}

// MarkNoticeFailed releases a claim whose send is known to have failed, so
// that a later try may claim it again. Only a claim being sent can fail: a
// notice recorded as sent never becomes sendable again.
func (s *Store) MarkNoticeFailed(ctx context.Context, key, errText string) error {
	return s.moveNotice(ctx, key, takedown.NoticeFailed, errText, takedown.NoticeSending)
}

// MarkNoticeUncertain records that a send died midway: whether the platform
// got the notice is unknown, and it is never sent again for this attempt.
func (s *Store) MarkNoticeUncertain(ctx context.Context, key string) error {
	return s.moveNotice(ctx, key, takedown.NoticeUncertain, "", takedown.NoticeSending, takedown.NoticeUncertain)
}

func (s *Store) moveNotice(ctx context.Context, key string, to takedown.NoticeState, errText string, from ...takedown.NoticeState) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var state takedown.NoticeState
		if err := tx.QueryRow(ctx, `SELECT state FROM notices WHERE idempotency_key = $1 FOR UPDATE`, key).Scan(&state); err != nil {
			return dbError(err)
		}
		ok := false
		for _, f := range from {
			ok = ok || state == f
		}
		if !ok {
			return fmt.Errorf("notice is %s: %w", state, takedown.ErrConflict)
		}
		_, err := tx.Exec(ctx, `
			UPDATE notices SET state = $2, error = coalesce(nullif($3, ''), error), updated_at = now()
			WHERE idempotency_key = $1`, key, to, errText)
		return dbError(err)
	})
	if err != nil {
		return fmt.Errorf("mark notice %s %s: %w", key, to, err)
	}
	return nil
}

// ListNotices returns a takedown's notices in the order they were sent.
func (s *Store) ListNotices(ctx context.Context, takedownID uuid.UUID) ([]takedown.NoticeRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+noticeColumns+` FROM notices WHERE takedown_id = $1 ORDER BY attempt, created_at`, takedownID)
	if err != nil {
		return nil, fmt.Errorf("list notices of %s: %w", takedownID, dbError(err))
	}
	list, err := collect(rows, scanNotice)
	if err != nil {
		return nil, fmt.Errorf("list notices of %s: %w", takedownID, dbError(err))
	}
	return list, nil
}

func scanNotice(r row) (takedown.NoticeRecord, error) {
	var n takedown.NoticeRecord
	err := r.Scan(&n.Key, &n.TakedownID, &n.Attempt, &n.Channel, &n.Priority, &n.State,
		&n.Reference, &n.PlatformReference, &n.Error, &n.CreatedAt, &n.SentAt)
	return n, err
}

// BlockingOrderSent reports whether a blocking order for the content was
// accepted by the gateway, under any takedown of it.
func (s *Store) BlockingOrderSent(ctx context.Context, c takedown.Content) (bool, error) {
	var sent bool
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM notices n JOIN takedowns t ON t.id = n.takedown_id
			WHERE n.channel = 'blocking_order' AND n.state = 'sent'
			  AND t.platform = $1 AND t.content_id = $2)`,
		string(c.Platform), c.ID).Scan(&sent)
	if err != nil {
		return false, fmt.Errorf("look up blocking order for %s content: %w", c.Platform, dbError(err))
	}
	return sent, nil
}
