package federation

import "github.com/twinfed/twinfed"

// What the external tests compare the fast AS2 paths against: go-fed alone.
var (
	DecodeActivityStreams = func(body []byte) (*twinfed.Activity, error) { return decodeActivity(body, false) }
	EncodeActivityStreams = encodeActivityStreams
)
