package blob

// Writeback is writeback, for the raw-write benchmark that writes as Put
// does.
var Writeback = writeback
