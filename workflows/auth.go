package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/internal/takedown"
)

var (
	staffRoles      = []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor}
	supervisorRoles = []takedown.Role{takedown.RoleSupervisor}
)

// authorize is the workflow's own check of who made a decision: the update
// named update, carrying arg, made by a, needs one of roles. The API checks
// the role too; this check is for every other path into the engine.
func authorize(_ workflow.Context, _ string, a Actor, _ any, roles []takedown.Role, what string) error {
	if !slices.Contains(roles, a.Role) {
		return refuse("role %q may not %s", a.Role, what)
	}
	return nil
}
