package node

import (
	"context"
	"log/slog"

	"github.com/twinfed/twinfed"
)

// Inbox is the node's twinfed.InboxHandler: it receives the activities the
// federation has verified and stored. No feature of this version consumes
// them yet (contacts, messages and projects come with their issues), so it
// records each in the log and acknowledges it; nothing is lost, since the
// federation keeps the raw activity.
type Inbox struct {
	Logger *slog.Logger
}

var _ twinfed.InboxHandler = (*Inbox)(nil)

// HandleActivity logs the activity and returns nil.
func (h *Inbox) HandleActivity(ctx context.Context, a *twinfed.Activity) error {
	if h.Logger != nil {
		h.Logger.Info("incoming activity (not acted on in this version)", "type", a.Type, "id", a.ID, "actor", a.Actor)
	}
	return nil
}
