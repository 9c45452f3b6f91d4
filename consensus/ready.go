package consensus

import "errors"

// Ready reports whether the client can serve a node's reads: its local
// copy of the registry has caught up with the registry once since it
// opened (afterwards it serves from that copy even while the registry is
// unreachable, so a registry outage does not take the nodes out of
// service). A client without a local copy is always ready.
func (c *Client) Ready() error {
	if c.cache == nil || c.synced.Load() {
		return nil
	}
	return errors.New("the registry cache has not caught up with the registry yet")
}
