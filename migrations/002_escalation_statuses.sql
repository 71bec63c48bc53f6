-- Statuses of the escalation ladder: the platform asked a question (the
-- clock is paused), a blocking order waits for a supervisor's approval, and
-- a blocking order was sent to the ISPs.

ALTER TABLE takedowns DROP CONSTRAINT takedowns_status_check;
ALTER TABLE takedowns ADD CONSTRAINT takedowns_status_check CHECK (status IN (
    'pending', 'notice_sent', 'awaiting_portal', 'clarification_requested', 'awaiting_approval', 'blocking',
    'removed', 'withheld', 'rejected', 'blocked', 'withdrawn', 'failed'));

ALTER TABLE takedown_events DROP CONSTRAINT takedown_events_status_check;
ALTER TABLE takedown_events ADD CONSTRAINT takedown_events_status_check CHECK (status IN (
    'pending', 'notice_sent', 'awaiting_portal', 'clarification_requested', 'awaiting_approval', 'blocking',
    'removed', 'withheld', 'rejected', 'blocked', 'withdrawn', 'failed'));
