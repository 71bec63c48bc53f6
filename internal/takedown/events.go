package takedown

// EventKind names what happened to a takedown. The values are stored (the
// takedown_events table) and recorded in workflow histories: never rename one.
type EventKind string

// The kinds of event a takedown records.
const (
	EventConfirmed                 EventKind = "confirmed"
	EventAppealed                  EventKind = "appealed"
	EventBlockingApprovalRequested EventKind = "blocking_approval_requested"
	EventBlockingApproved          EventKind = "blocking_approved"
	EventBlockingCheckFailed       EventKind = "blocking_check_failed"
	EventBlockingOrderFailed       EventKind = "blocking_order_failed"
	EventBlockingOrdered           EventKind = "blocking_ordered"
	EventBlockingRefused           EventKind = "blocking_refused"
	EventClarificationAnswered     EventKind = "clarification_answered"
	EventClarificationRequested    EventKind = "clarification_requested"
	EventDeadlineExtended          EventKind = "deadline_extended"
	EventDeadlinePassed            EventKind = "deadline_passed"
	EventInformationAdded          EventKind = "information_added"
	EventLadderStarted             EventKind = "ladder_started"
	EventNoticeFailed              EventKind = "notice_failed"
	EventNoticeSent                EventKind = "notice_sent"
	EventNoticeUncertain           EventKind = "notice_uncertain"
	EventPortalTaskCreated         EventKind = "portal_task_created"
	EventPortalOverdue             EventKind = "portal_overdue"
	EventPortalSubmitted           EventKind = "portal_submitted"
	EventProbeFailed               EventKind = "probe_failed"
	EventReappeared                EventKind = "reappeared"
	EventRechecked                 EventKind = "rechecked"
	EventRejected                  EventKind = "rejected"
	EventRejectionAccepted         EventKind = "rejection_accepted"
	EventRemoved                   EventKind = "removed"
	EventWithheld                  EventKind = "withheld"
	EventBlocked                   EventKind = "blocked"
	EventReplyRecorded             EventKind = "reply_recorded"
	EventSupervisorAlerted         EventKind = "supervisor_alerted"
	EventWithdrawn                 EventKind = "withdrawn"
)
