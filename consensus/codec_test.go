package consensus

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/twinfed/twinfed"
)

// plainSchool is a school in the form the registry writes, with no
// character that JSON escapes; minimalSchool has only the required fields.
func plainSchool() twinfed.School {
	return twinfed.School{ID: "IT-00000042", Country: "IT", LegalName: "Liceo Galilei é ł 日本", PublicName: "Galilei", City: "Firenze",
		Region: "Toscana", NationalNumber: "FIPS01", Level: twinfed.LevelVocational, CourseYears: 3, Institution: twinfed.InstitutionState,
		Status: twinfed.SchoolValidated, ValidatedBy: "IT", Created: time.Now().Add(-time.Hour), Updated: time.Now().In(time.FixedZone("CET", 3600))}
}

func minimalSchool() twinfed.School {
	return twinfed.School{Country: "FR", LegalName: "École", Level: twinfed.LevelPrimary}
}

func fullSchool() twinfed.School {
	return twinfed.School{ID: "IT-00000042", Country: "IT", LegalName: "Liceo \"Galilei\" <&> \u2028\u2029 é ł 日本", PublicName: "x\x00\x1f\x7f\b\f\n\r\t\\/",
		City: "bad \xff utf-8 \xc3", Region: "Toscana", NationalNumber: "FIPS01", Level: twinfed.LevelVocational, CourseYears: 3,
		Institution: twinfed.InstitutionState, Status: twinfed.SchoolValidated, ValidatedBy: "IT",
		Created: time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC), Updated: time.Date(2026, 11, 23, 1, 2, 3, 0, time.FixedZone("CET", 3600))}
}

func TestSchoolJSON_MatchesEncodingJSON(t *testing.T) {
	for _, s := range []twinfed.School{{}, fullSchool(), {Country: "FR", LegalName: "École", Level: twinfed.LevelPrimary, Created: at}} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendSchoolJSON(nil, &s); !bytes.Equal(got, want) {
			t.Errorf("appendSchoolJSON:\n got %s\nwant %s", got, want)
		}
		var tt timeText
		for range 2 { // the second time from tt's memory
			if got := appendSchoolJSONTimes(nil, &s, &tt); !bytes.Equal(got, want) {
				t.Errorf("appendSchoolJSONTimes:\n got %s\nwant %s", got, want)
			}
		}
	}
}

func TestBinaryCommands_RoundTrip(t *testing.T) {
	s := fullSchool()
	s.Updated = s.Updated.UTC() // decoded times are in UTC
	put := PutSchoolCommand{School: s, By: "IT", At: at}
	b, err := EncodeCommand(CmdPutSchoolV2, put)
	if err != nil || CommandType(b[0]) != CmdPutSchoolV2 {
		t.Fatalf("encode: %v", err)
	}
	var gotPut PutSchoolCommand
	if err := decodePutSchoolBin(b[1:], &gotPut); err != nil || !reflect.DeepEqual(gotPut, put) {
		t.Fatalf("put: %v\n got %+v\nwant %+v", err, gotPut, put)
	}
	for n := 1; n < len(b); n++ {
		if err := decodePutSchoolBin(b[1:n], &gotPut); err == nil {
			t.Fatalf("a put truncated to %d bytes decoded", n)
		}
	}
	imp := ImportCommand{Schools: []twinfed.School{s, {Country: "ES", LegalName: "CEIP Sol", Level: twinfed.LevelPrimary}}, At: at}
	b, err = EncodeCommand(CmdImportSchoolsV2, &imp)
	if err != nil || CommandType(b[0]) != CmdImportSchoolsV2 {
		t.Fatalf("encode: %v", err)
	}
	var gotImp ImportCommand
	if err := decodeImportBin(b[1:], &gotImp); err != nil || !reflect.DeepEqual(gotImp, imp) {
		t.Fatalf("import: %v\n got %+v\nwant %+v", err, gotImp, imp)
	}
	if err := decodeImportBin(append(b[1:len(b):len(b)], 0), &gotImp); err == nil {
		t.Fatal("an import with bytes left over decoded")
	}
	if _, err := EncodeCommand(CmdImportSchoolsV2, put); err == nil {
		t.Fatal("a put encoded as an import")
	}
}

// The binary commands change the state exactly as their JSON versions do.
func TestFSM_BinaryAndJSONCommandsAgree(t *testing.T) {
	apply := func(put, imp CommandType) []byte {
		index = 0 // both logs at the same indexes: a record's version is its entry's index
		f := MustOpenFSM(t)
		mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
		s := fullSchool()
		s.ID, s.City = "", "Pisa" // (invalid UTF-8 is replaced when the JSON command is encoded, kept by the binary one)
		if res := mustApply(t, f, put, PutSchoolCommand{School: s, By: "IT", At: at}); res.Err != nil {
			t.Fatal(res.Err)
		}
		s.ID, s.LegalName = "IT-00000001", "Liceo Galilei"
		if res := mustApply(t, f, put, PutSchoolCommand{School: s, At: at.Add(time.Hour)}); res.Err != nil {
			t.Fatal(res.Err)
		}
		res := mustApply(t, f, imp, ImportCommand{Schools: []twinfed.School{{Country: "ES", LegalName: "CEIP Sol", NationalNumber: "E1", Level: twinfed.LevelPrimary},
			{Country: "FR", LegalName: "École <Jaurès>", City: "Albi", Level: twinfed.LevelPrimary, Status: twinfed.SchoolProposed}}, At: at})
		if res.Err != nil || res.Count != 2 || res.IDs[1] != "FR-00000003" {
			t.Fatalf("import: %+v", res)
		}
		if res := mustApply(t, f, imp, ImportCommand{Schools: []twinfed.School{{Country: "ES", LegalName: "x", NationalNumber: "E1", Level: twinfed.LevelPrimary}}, At: at}); res.Err == nil || res.Err.Code != twinfed.ECONFLICT {
			t.Fatalf("duplicate national number: %+v", res.Err)
		}
		return dump(t, f)
	}
	if v1, v2 := apply(CmdPutSchool, CmdImportSchools), apply(CmdPutSchoolV2, CmdImportSchoolsV2); !bytes.Equal(v1, v2) {
		t.Fatalf("states differ:\nJSON   %q\nbinary %q", v1, v2)
	}
}

func TestFSM_UndecodableBinaryEntryPanics(t *testing.T) {
	for _, ct := range []CommandType{CmdPutSchoolV2, CmdImportSchoolsV2} {
		t.Run(ct.String(), func(t *testing.T) {
			f := MustOpenFSM(t)
			defer func() {
				if recover() == nil {
					t.Fatal("an undecodable entry of a known type must stop the member")
				}
			}()
			index++
			f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: []byte{byte(ct), 5, 'a'}})
		})
	}
}

func TestAppendSchoolID(t *testing.T) {
	for n, want := range map[uint64]string{0: "IT-00000000", 7: "IT-00000007", 12345678: "IT-12345678", 123456789: "IT-123456789"} {
		if got := string(appendSchoolID(nil, "IT", n)); got != want {
			t.Errorf("appendSchoolID(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestResultJSON_MatchesEncodingJSON(t *testing.T) {
	s := fullSchool()
	for _, res := range []ApplyResult{
		{},
		{Index: 42, School: &s},
		{Index: 7, IDs: []string{"IT-00000001", "FR-\"<>\""}, Count: 2},
		{Index: 9, School: &s, Replayed: true},
		{Index: 3, Err: twinfed.Errorf(twinfed.ECONFLICT, "taken"), School: &s},
		{Index: 5, Country: &twinfed.Country{Code: "IT", Name: "Italia"}},
	} {
		want, err := json.Marshal(&res)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendResultJSON(nil, &res)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("appendResultJSON (%v):\n got %s\nwant %s", err, got, want)
		}
	}
}

func TestWriteJSON_HotPaths(t *testing.T) {
	s := fullSchool()
	batch := BatchResult{Index: 9, Results: []BatchWriteResult{{WriteResult: WriteResult{Index: 9, School: &s}}, {Error: &ErrorBody{Code: twinfed.EFORBIDDEN, Message: "not yours"}},
		{WriteResult: WriteResult{Index: 3, School: &s, Replayed: true}}, {WriteResult: WriteResult{Index: 9}, Error: &ErrorBody{Code: twinfed.EINVALID, Message: "bad", Fields: map[string]string{"level": "is required"}}}}}
	for _, v := range []any{&s, WriteResult{Index: 4, School: &s}, WriteResult{Index: 5, IDs: []string{"IT-1", "IT-2"}, Count: 2, Replayed: true}, WriteResult{}, batch, BatchResult{Results: []BatchWriteResult{}}} {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(v); err != nil {
			t.Fatal(err)
		}
		if got := appendHotJSON(nil, v); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendHotJSON(%T):\n got %s\nwant %s", v, got, want.Bytes())
		}
	}
	if got := appendHotJSON(nil, WriteResult{Country: &twinfed.Country{Code: "IT"}}); got != nil {
		t.Errorf("a result with a country must go through encoding/json, got %s", got)
	}
}

// TestInternalResultJSON: the hand-written wire form of a result between
// members decodes as the one encoding/json writes.
func TestInternalResultJSON(t *testing.T) {
	s := fullSchool()
	for _, res := range []*ApplyResult{
		{Index: 3, School: &s},
		{Index: 4, Err: &twinfed.Error{Code: twinfed.ECONFLICT, Message: "taken", Fields: map[string]string{"national_number": "is taken"}}},
		{Index: 5, Results: []*ApplyResult{{Index: 5, School: &s}, {Index: 5, Err: &twinfed.Error{Code: twinfed.EFORBIDDEN, Message: "not yours"}}, {Index: 2, School: &s, Replayed: true}}},
		{Index: 6, Country: &twinfed.Country{Code: "IT"}},
	} {
		got, err := appendInternalResultJSON(nil, res)
		if err != nil {
			t.Fatal(err)
		}
		std, err := json.Marshal(internalResultOfResult(res))
		if err != nil {
			t.Fatal(err)
		}
		var back, want internalResult
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, want) {
			t.Errorf("wire form %s decodes as\n%+v, want\n%+v", got, back, want)
		}
	}
}

// internalResultOfResult is what internalResultOf makes of res.
func internalResultOfResult(res *ApplyResult) internalResult {
	w := wireResult(res)
	out := internalResult{WriteResult: w.WriteResult, Error: w.Error}
	for _, r := range res.Results {
		out.Results = append(out.Results, wireResult(r))
	}
	return out
}
