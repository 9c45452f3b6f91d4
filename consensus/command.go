package consensus

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// CommandType is the first byte of every Raft log entry the registry writes;
// the payload after it is the JSON of the command's struct. A new version of
// a command gets a new type byte, so old entries keep their meaning.
type CommandType byte

// Command types (version 1 of each). Never renumber.
const (
	CmdSeedCountries CommandType = 1 // SeedCommand
	CmdPutCountry    CommandType = 2 // PutCountryCommand
	CmdPutSchool     CommandType = 3 // PutSchoolCommand
	CmdImportSchools CommandType = 4 // ImportCommand
	CmdRecordNQL     CommandType = 5 // NQLCommand
	CmdConfirmEQL    CommandType = 6 // ConfirmEQLCommand
	CmdPutPrize      CommandType = 7 // PrizeCommand
	CmdSetMember     CommandType = 8 // MemberCommand
	CmdRemoveMember  CommandType = 9 // MemberCommand
	// CmdKeyed wraps another command with a client's request id (see
	// KeyedCommand): binary, not JSON.
	CmdKeyed CommandType = 10
	// CmdPutSchoolV2 and CmdImportSchoolsV2 carry a PutSchoolCommand and
	// an ImportCommand in binary (see codec.go), not JSON: what members
	// propose since version 2. Entries of types 3 and 4 are still applied.
	CmdPutSchoolV2     CommandType = 11
	CmdImportSchoolsV2 CommandType = 12
	// Changes to one part of a country record, applied to the record as
	// the state holds it when the entry is applied, so that concurrent
	// operators never write back a stale copy over each other's change.
	CmdAddCountryKey    CommandType = 13 // CountryKeyCommand
	CmdRemoveCountryKey CommandType = 14 // CountryKeyCommand
	CmdSetCountryNode   CommandType = 15 // CountryNodeCommand
	CmdSetCountryActive CommandType = 16 // CountryActiveCommand
	// CmdBatch carries several keyed commands (CmdKeyed) in one entry, the
	// writes of one batch request (POST /v1/batch): uvarint length then
	// the command, repeated (see BatchCommand). Each is applied as if it
	// were an entry of its own, in order, with its own result
	// (ApplyResult.Results); one refused changes nothing of the others.
	CmdBatch CommandType = 17
	// CmdBatchV2 is a CmdBatch whose writes' results and request ids are
	// remembered in one record for the entry (m/kr/, see resultRecord)
	// instead of two keys a write. Proposed only once every voter applies
	// it (MemberInfo.BatchRecords, Member.RecordsBatchResults).
	CmdBatchV2 CommandType = 18
)

func (t CommandType) String() string {
	switch t {
	case CmdSeedCountries:
		return "seed_countries"
	case CmdPutCountry:
		return "put_country"
	case CmdPutSchool:
		return "put_school"
	case CmdImportSchools:
		return "import_schools"
	case CmdRecordNQL:
		return "record_nql"
	case CmdConfirmEQL:
		return "confirm_eql"
	case CmdPutPrize:
		return "put_prize"
	case CmdSetMember:
		return "set_member"
	case CmdRemoveMember:
		return "remove_member"
	case CmdKeyed:
		return "keyed"
	case CmdBatch:
		return "batch"
	case CmdBatchV2:
		return "batch_v2"
	case CmdPutSchoolV2:
		return "put_school_v2"
	case CmdImportSchoolsV2:
		return "import_schools_v2"
	case CmdAddCountryKey:
		return "add_country_key"
	case CmdRemoveCountryKey:
		return "remove_country_key"
	case CmdSetCountryNode:
		return "set_country_node"
	case CmdSetCountryActive:
		return "set_country_active"
	}
	return fmt.Sprintf("unknown(%d)", byte(t))
}

// SeedCommand loads the programme's countries; it does nothing once
// countries exist.
type SeedCommand struct {
	Countries []twinfed.Country `json:"countries"`
	At        time.Time         `json:"at"`
}

// PutCountryCommand sets a country's agency, node URL, keys and active flag
// (CSS only). Code, name and group stay as seeded. A non-nil IfVersion
// makes it conditional: it is refused (ECONFLICT) unless the record's
// Version is still *IfVersion, so that a read-modify-write never writes
// back over a change made since the read.
type PutCountryCommand struct {
	Country   twinfed.Country `json:"country"`
	IfVersion *uint64         `json:"if_version,omitempty"`
	At        time.Time       `json:"at"`
}

// CountryKeyCommand adds Key to the keys of country Code
// (CmdAddCountryKey; refused when the country already lists a key with
// that id) or removes the key with Key.ID (CmdRemoveCountryKey; refused
// when it lists none).
type CountryKeyCommand struct {
	Code string          `json:"code"`
	Key  twinfed.NodeKey `json:"key"`
	At   time.Time       `json:"at"`
}

// CountryNodeCommand sets the node URL of country Code and marks it
// active; a non-empty Agency also replaces the agency's name. The keys
// stay as they are.
type CountryNodeCommand struct {
	Code    string    `json:"code"`
	NodeURL string    `json:"node_url"`
	Agency  string    `json:"agency,omitempty"`
	At      time.Time `json:"at"`
}

// CountryActiveCommand sets whether country Code takes part in the
// programme; the rest of its record stays.
type CountryActiveCommand struct {
	Code   string    `json:"code"`
	Active bool      `json:"active"`
	At     time.Time `json:"at"`
}

// PutSchoolCommand creates (empty ID) or updates a school. By is the
// writing node's country, "" for a CSS operator.
type PutSchoolCommand struct {
	School twinfed.School `json:"school"`
	By     string         `json:"by,omitempty"`
	At     time.Time      `json:"at"`
}

// ImportCommand creates schools in bulk (CSS only); the whole chunk is
// refused when one record is wrong.
type ImportCommand struct {
	Schools []twinfed.School `json:"schools"`
	At      time.Time        `json:"at"`
}

// NQLCommand records a National Quality Label. By as in PutSchoolCommand.
type NQLCommand struct {
	Label twinfed.QualityLabel `json:"label"`
	By    string               `json:"by,omitempty"`
	At    time.Time            `json:"at"`
}

// ConfirmEQLCommand awards the European Quality Label of a school year to
// the listed eligible projects, or to all eligible ones when none is listed.
type ConfirmEQLCommand struct {
	SchoolYear string    `json:"school_year"`
	Projects   []string  `json:"projects,omitempty"`
	At         time.Time `json:"at"`
}

// PrizeCommand records a European prize entry or its result (CSS only).
type PrizeCommand struct {
	Entry twinfed.PrizeEntry `json:"entry"`
	At    time.Time          `json:"at"`
}

// MemberCommand records (or removes) a cluster member's addresses.
type MemberCommand struct {
	Member MemberInfo `json:"member"`
}

// EncodeCommand returns the log entry for a command: type byte, then JSON;
// for CmdPutSchoolV2 (v a PutSchoolCommand) and CmdImportSchoolsV2 (v an
// ImportCommand), type byte then the binary form.
func EncodeCommand(t CommandType, v any) ([]byte, error) {
	switch t {
	case CmdPutSchoolV2:
		switch c := v.(type) {
		case PutSchoolCommand:
			return encodePutSchoolBin(&c), nil
		case *PutSchoolCommand:
			return encodePutSchoolBin(c), nil
		}
		return nil, fmt.Errorf("encode %s: %T is not a PutSchoolCommand", t, v)
	case CmdImportSchoolsV2:
		switch c := v.(type) {
		case ImportCommand:
			return encodeImportBin(&c), nil
		case *ImportCommand:
			return encodeImportBin(c), nil
		}
		return nil, fmt.Errorf("encode %s: %T is not an ImportCommand", t, v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", t, err)
	}
	out := make([]byte, 0, len(b)+1)
	out = append(out, byte(t))
	return append(out, b...), nil
}

// IdempotencyWindow is how long the state remembers a write's request id
// (the Idempotency-Key header): a retry within it answers the first
// result and changes nothing. A node's signed write is accepted while its
// Date is within signing.MaxSkew of the member's clock, so for at most
// twice that after it was first applied; the extra minute covers the
// members' clocks differing. Beyond the window the signature check
// refuses a replay.
const IdempotencyWindow = 2*signing.MaxSkew + time.Minute

// MaxRequestIDLen bounds a request id.
const MaxRequestIDLen = 128

// ValidRequestID reports whether id may serve as a request id: 1 to
// MaxRequestIDLen printable ASCII characters.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// KeyedCommand returns the entry for an encoded command (see
// EncodeCommand) carrying the client's request id and the time the member
// proposed it: type byte CmdKeyed, id length (2 bytes), id, time (unix
// nanoseconds, 8 bytes), then the command.
func KeyedCommand(id string, at time.Time, cmd []byte) []byte {
	out := make([]byte, 0, 1+2+len(id)+8+len(cmd))
	out = append(out, byte(CmdKeyed))
	out = binary.BigEndian.AppendUint16(out, uint16(len(id)))
	out = append(out, id...)
	out = binary.BigEndian.AppendUint64(out, uint64(at.UnixNano()))
	return append(out, cmd...)
}

func decodeKeyed(b []byte) (id string, at time.Time, cmd []byte, err error) {
	if len(b) < 2 {
		return "", at, nil, errors.New("short keyed command")
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n+8 {
		return "", at, nil, errors.New("short keyed command")
	}
	id = string(b[2 : 2+n])
	at = time.Unix(0, int64(binary.BigEndian.Uint64(b[2+n:])))
	return id, at, b[2+n+8:], nil
}

// ApplyResult is what the FSM answers for an entry: the Raft index, a
// business-rule refusal (which changed nothing) or what was stored.
type ApplyResult struct {
	Index  uint64          `json:"index"`
	Err    *twinfed.Error  `json:"error,omitempty"`
	School *twinfed.School `json:"school,omitempty"`
	// Country is the country record after a change to it.
	Country *twinfed.Country `json:"country,omitempty"`
	IDs     []string         `json:"ids,omitempty"`   // ids of imported schools, in order
	Count   int              `json:"count,omitempty"` // records written
	// Replayed is true when the entry repeated a request id already
	// applied: the result is the first one's and nothing changed.
	Replayed bool `json:"replayed,omitempty"`
	// Results are the results of a CmdBatch or CmdBatchV2 entry's
	// commands, in order.
	Results []*ApplyResult `json:"results,omitempty"`
}

// BatchCommand returns the CmdBatch entry carrying cmds, each a keyed
// command (see KeyedCommand).
func BatchCommand(cmds [][]byte) []byte { return batchCommand(CmdBatch, cmds) }

// BatchCommandV2 returns the CmdBatchV2 entry carrying cmds, each a keyed
// command (see KeyedCommand).
func BatchCommandV2(cmds [][]byte) []byte { return batchCommand(CmdBatchV2, cmds) }

func batchCommand(t CommandType, cmds [][]byte) []byte {
	n := 1
	for _, c := range cmds {
		n += binary.MaxVarintLen32 + len(c)
	}
	out := make([]byte, 0, n)
	out = append(out, byte(t))
	for _, c := range cmds {
		out = binary.AppendUvarint(out, uint64(len(c)))
		out = append(out, c...)
	}
	return out
}

// decodeBatch splits a CmdBatch or CmdBatchV2 payload into its commands, each keyed.
func decodeBatch(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n == 0 || n > uint64(len(b)-k) {
			return nil, errors.New("malformed batch entry")
		}
		c := b[k : k+int(n)]
		if CommandType(c[0]) != CmdKeyed {
			return nil, fmt.Errorf("a batch entry holds a %s command; only keyed ones may be batched", CommandType(c[0]))
		}
		out = append(out, c)
		b = b[k+int(n):]
	}
	if len(out) == 0 {
		return nil, errors.New("empty batch entry")
	}
	return out, nil
}
