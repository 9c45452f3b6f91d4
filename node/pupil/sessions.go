package pupil

import (
	"context"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
)

// Sessions is the web kit's Authenticator: a pupil's or a visitor's
// session token (TokenPrefix) goes to the pupils' accounts, every
// other to the members'; each owns its sessions.
type Sessions struct {
	Accounts *account.Service
	Pupils   *Service
}

// Authenticate asks the service that owns token.
func (a Sessions) Authenticate(ctx context.Context, token string) (*twinfed.Principal, string, error) {
	if IsToken(token) {
		return a.Pupils.Authenticate(ctx, token)
	}
	return a.Accounts.Authenticate(ctx, token)
}

// AnonymousCSRF asks the members' accounts (the node secret).
func (a Sessions) AnonymousCSRF(anon string) string { return a.Accounts.AnonymousCSRF(anon) }

// Member asks the members' accounts.
func (a Sessions) Member(ctx context.Context, username string) (*twinfed.Member, error) {
	return a.Accounts.Member(ctx, username)
}
