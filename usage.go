package twinfed

// Usage is how much a node is used, as it tells the fediverse (NodeInfo's
// usage section).
type Usage struct {
	Users          int // members who may use the node: validated members, agency staff excepted
	ActiveMonth    int // of those, the ones who logged in during the last 30 days
	ActiveHalfyear int // of those, the ones who logged in during the last 180 days
	LocalPosts     int // what the node's members posted; 0 while the node does not count it
}
