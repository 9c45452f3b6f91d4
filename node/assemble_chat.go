package node

import (
	"github.com/twinfed/twinfed/node/twinspace/chat"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the TwinSpace's Chat tab (node/twinspace/chat): built
// on the TwinSpace's core, whose kinds it extends with chat messages.

// assembleChat builds the chat on s's TwinSpaces (assembleProjects calls
// it once the core is built).
func assembleChat(s *Service) { s.chat = chat.New(s.twinspaces) }

// Chat returns the node's TwinSpace chat.
func (n *Node) Chat() *chat.Service { return n.svc.chat }

// chatRoutes registers the Chat tab's page, event stream and API.
func (s *Server) chatRoutes(k *web.Kit) error { return chat.NewWeb(s.svc.chat).Routes(k) }
