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

// BenchmarkFSM_ApplyBatch applies batch entries of 32 keyed school writes
// (what a node's client sends under 64 writers), two entries an apply, as
// a CmdBatch (each write's id and result under its own key) and as a
// CmdBatchV2 (one result record an entry).
func BenchmarkFSM_ApplyBatch(b *testing.B) {
	for _, t := range []CommandType{CmdBatch, CmdBatchV2} {
		b.Run(t.String(), func(b *testing.B) {
			const writes, entries = 32, 2
			logs := make([]*raft.Log, b.N*entries)
			n := 0
			for i := range logs {
				when := at.Add(time.Duration(i) * time.Millisecond)
				cmds := make([][]byte, writes)
				for j := range cmds {
					cmd := encodePutSchoolBin(&PutSchoolCommand{School: twinfed.School{Country: "IT", LegalName: fmt.Sprintf("Scuola %d", n), City: "Roma",
						Level: twinfed.LevelPrimary}, At: when, By: "IT"})
					cmds[j] = KeyedCommand(fmt.Sprintf("node/IT/%08x-4b1d-4c2a-9e3f-%012x", n*2654435761%(1<<32), n), when, cmd)
					n++
				}
				logs[i] = &raft.Log{Index: uint64(i + 2), Type: raft.LogCommand, Data: batchCommand(t, cmds)}
			}
			f := benchFSM(b)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < len(logs); i += entries {
				for _, r := range f.ApplyBatch(logs[i : i+entries]) {
					if res := r.(*ApplyResult); res.Err != nil || len(res.Results) != writes || res.Results[0].Err != nil {
						b.Fatalf("%+v", res)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/write")
		})
	}
}
