package consensus

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// countryCache keeps the country records the client read from its cache
// last, each decoded and with the bytes it was decoded from, so that a
// record read again unchanged is copied instead of decoded: a home node
// reads the country of the node of each Join it decides (CountryByHost),
// and each signature check reads the signer's (KeysForHost). It is keyed
// by those bytes, not by the record's version or a Badger version: a
// reader only ever gets the decoding of exactly the record its
// transaction holds, so nothing older than the client's cache is served,
// whatever happened to it in between (a reload of the whole registry, a
// restore, a reopen). The countries are a few dozen, so nothing is
// evicted. Its zero value is ready to use.
type countryCache struct {
	mu sync.Mutex
	m  map[string]decodedCountry // code → the record decoded last
}

// decodedCountry is a country record's bytes and their decoding, which is
// never handed out: readers get copies (twinfed.Country.Clone).
type decodedCountry struct {
	raw     []byte
	country *twinfed.Country
}

// read is readCountry through the cache.
func (cc *countryCache) read(txn *badger.Txn, code string) (*twinfed.Country, error) {
	item, err := txn.Get([]byte(pCountry + code))
	if err != nil {
		return nil, noCountry(err, code)
	}
	var out *twinfed.Country
	err = item.Value(func(raw []byte) error {
		cc.mu.Lock()
		d, ok := cc.m[code]
		cc.mu.Unlock()
		if ok && bytes.Equal(d.raw, raw) {
			out = d.country.Clone()
			return nil
		}
		co := new(twinfed.Country)
		if err := json.Unmarshal(raw, co); err != nil {
			return err
		}
		cc.mu.Lock()
		if cc.m == nil {
			cc.m = make(map[string]decodedCountry)
		}
		cc.m[code] = decodedCountry{raw: bytes.Clone(raw), country: co}
		cc.mu.Unlock()
		out = co.Clone()
		return nil
	})
	return out, err
}
