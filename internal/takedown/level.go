package takedown

// Level is the rung of the escalation ladder a takedown stands on. It is
// stored (takedowns.escalation_level) and recorded in workflow histories as
// a bare number: never renumber one.
type Level int

const (
	LevelNotice   Level = 0 // the notice was sent; the removal deadline runs
	LevelReminder Level = 1 // the deadline passed; a reminder was sent
	LevelPriority Level = 2 // a supervisor was alerted; the priority channel was used
	LevelApproval Level = 3 // an access-blocking order waits for a supervisor
	LevelBlocking Level = 4 // the blocking order was approved and sent to ISPs
)
