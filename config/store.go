package config

// Store sizes the memory of the node's Badger store (node/store): its
// caches and memtables, in MiB. The defaults fit a node in 512 MiB
// (docs/memory.md).
type Store struct {
	// IndexCacheMiB caches the tables' block indexes and Bloom filters.
	IndexCacheMiB int64 `toml:"index_cache_mib"`
	// BlockCacheMiB caches the tables' blocks, uncompressed.
	BlockCacheMiB int64 `toml:"block_cache_mib"`
	// MemTableMiB is one memtable; the largest transaction is 15 % of it.
	MemTableMiB int64 `toml:"memtable_mib"`
	// Memtables is how many memtables may be held at once (one written,
	// the others waiting for their flush to disk).
	Memtables int `toml:"memtables"`
}

// DefaultStore returns 16 MiB of index cache, 32 MiB of block cache and
// two memtables of 32 MiB: 112 MiB at most.
func DefaultStore() Store {
	return Store{IndexCacheMiB: 16, BlockCacheMiB: 32, MemTableMiB: 32, Memtables: 2}
}

// MaxBytes is the most the store's caches and memtables may hold.
func (s Store) MaxBytes() int64 {
	return (s.IndexCacheMiB + s.BlockCacheMiB + s.MemTableMiB*int64(s.Memtables)) << 20
}

func (s Store) validate(p *Problems, key string) {
	if s.IndexCacheMiB < 1 || s.IndexCacheMiB > 16<<10 {
		p.Addf(key+".index_cache_mib", "%d is out of range; use 1 to 16384 (16 is the default)", s.IndexCacheMiB)
	}
	if s.BlockCacheMiB < 1 || s.BlockCacheMiB > 64<<10 {
		p.Addf(key+".block_cache_mib", "%d is out of range; use 1 to 65536 (32 is the default)", s.BlockCacheMiB)
	}
	if s.MemTableMiB < 8 || s.MemTableMiB > 1024 {
		p.Addf(key+".memtable_mib", "%d is out of range; use 8 to 1024 (32 is the default: the largest transaction is 15 %% of it, and the node's imports need about 4 MiB)", s.MemTableMiB)
	}
	if s.Memtables < 2 || s.Memtables > 16 {
		p.Addf(key+".memtables", "%d is out of range; use 2 to 16 (2 is the default: with one, every write waits for each flush)", s.Memtables)
	}
}
