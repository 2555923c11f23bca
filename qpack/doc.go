// Package qpack implements QPACK, the field compression of HTTP/3 (RFC
// 9204), with the dynamic table.
//
// An HTTP/3 connection has one Encoder and one Decoder. The Encoder turns
// the fields of a request or response into an encoded field section and,
// when it adds entries to the dynamic table, into instructions for the
// peer's decoder on the encoder stream; it learns what the peer has
// received from the peer's decoder stream. The Decoder does the reverse: it
// applies the peer's encoder stream to its dynamic table, decodes field
// sections, holds those that refer to entries not yet received until the
// entries arrive, and produces the decoder-stream instructions that report
// its progress.
//
// Both types are driven by their caller, stream by stream: bytes go in as
// they arrive and instructions come out to be written, so neither owns a
// goroutine or reads a clock.
//
// Strings use the Huffman code of RFC 7541, Appendix B whenever it is
// shorter, and decoding is strict about it. Every length the peer sends is
// checked against the bytes present and against the configured limits
// before anything is allocated. Malformed input gives an *Error whose Code
// is the HTTP/3 error code to close the connection with.
//
// # Limitations
//
//   - The encoder's choice of what to insert is simple: every field that is
//     not sensitive, not in the static table, not larger than a quarter of
//     the table and not of a kind whose values seldom repeat (:path,
//     content-length, date, etag and a few more) is inserted. It does not
//     wait to see a value twice, so unique values still cost encoder-stream
//     bytes.
//   - The encoder's draining region is fixed (the oldest quarter of the
//     table once it is three quarters full). It duplicates an entry there
//     when there is room, but with a small table and a long round trip the
//     old copy stays referenced by unacknowledged sections for a while, and
//     fields that need new entries go as literals until it can be evicted.
//   - Cookies are always never-indexed literals. That protects them from
//     the probing attack of RFC 9204, Section 7.1, but costs about 100 bytes
//     a request on fb-req.qif compared with encoders that index them.
//   - The encoder does not check the peer's SETTINGS_MAX_FIELD_SECTION_SIZE;
//     that is left to the HTTP/3 layer, which sees the whole message.
//   - The decoder accepts a Required Insert Count larger than the section
//     needs, which RFC 9204, Section 2.2.1 allows it to reject.
//   - The decoder emits Insert Count Increment only when AppendDecoderStream
//     is called, and its pending instructions grow until then, so the
//     caller should call it after each batch of encoder-stream data and
//     each decoded section.
package qpack
