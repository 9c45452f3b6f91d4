package consensus

import (
	"fmt"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/hashicorp/raft"
	"github.com/twinfed/twinfed"
)

// The FSM benchmarks apply commands to one member's state, opened as a
// member opens it, without Raft or a disk: what applying costs per school
// on each member, and what the state's Badger costs of it.

func benchFSM(b *testing.B) *FSM {
	b.Helper()
	db, err := badger.Open(stateOptions(nil))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	f := newFSM(db, discardLogger(), newMetrics(nil))
	seed, _ := EncodeCommand(CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: seed})
	return f
}

// BenchmarkFSM_ApplyImport applies import entries of ImportChunk schools
// in batches of 16 (ImportInFlight), as a member applies an import.
func BenchmarkFSM_ApplyImport(b *testing.B) {
	countries := twinfed.SeedCountries()
	const batches = 2
	var logs [][]*raft.Log
	idx := uint64(1)
	n := 0
	for range b.N * batches {
		batch := make([]*raft.Log, ImportInFlight)
		for j := range batch {
			schools := make([]twinfed.School, ImportChunk)
			for k := range schools {
				schools[k] = twinfed.School{Country: countries[n%len(countries)].Code, LegalName: fmt.Sprintf("School %d", n), City: "City",
					NationalNumber: fmt.Sprintf("N%07d", n), Level: twinfed.LevelPrimary, Institution: twinfed.InstitutionState, Status: twinfed.SchoolValidated}
				n++
			}
			idx++
			batch[j] = &raft.Log{Index: idx, Type: raft.LogCommand, Data: encodeImportBin(&ImportCommand{Schools: schools, At: at})}
		}
		logs = append(logs, batch)
	}
	f := benchFSM(b)
	b.ReportAllocs()
	b.ResetTimer()
	for _, batch := range logs {
		for _, r := range f.ApplyBatch(batch) {
			if err := r.(*ApplyResult).Err; err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/school")
}

// BenchmarkFSM_ApplyPutSchool applies single-school writes in batches of
// 16 entries (what the 64 concurrent writers' batches average about).
func BenchmarkFSM_ApplyPutSchool(b *testing.B) {
	const batch = 16
	logs := make([]*raft.Log, b.N*batch)
	for i := range logs {
		cmd := encodePutSchoolBin(&PutSchoolCommand{School: twinfed.School{Country: "IT", LegalName: fmt.Sprintf("Scuola %d", i), City: "Roma",
			Level: twinfed.LevelPrimary}, At: at.Add(time.Duration(i))})
		logs[i] = &raft.Log{Index: uint64(i + 2), Type: raft.LogCommand, Data: cmd}
	}
	f := benchFSM(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < len(logs); i += batch {
		for _, r := range f.ApplyBatch(logs[i : i+batch]) {
			if err := r.(*ApplyResult).Err; err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(logs)), "ns/write")
}
