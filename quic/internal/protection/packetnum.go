package protection

// decodePacketNumber recovers a full packet number from its truncated
// encoding of pnLen bytes (1 to 4), given the largest packet number
// successfully processed in the same space, or -1 if none (RFC 9000,
// Appendix A.3). The result may exceed MaxPacketNumber near the end of the
// space; callers reject it.
func decodePacketNumber(largest int64, truncated uint64, pnLen int) int64 {
	expected := largest + 1
	win := int64(1) << (8 * pnLen)
	hwin := win / 2
	candidate := (expected &^ (win - 1)) | int64(truncated)
	switch {
	case candidate <= expected-hwin && candidate < (1<<62)-win:
		return candidate + win
	case candidate > expected+hwin && candidate >= win:
		return candidate - win
	}
	return candidate
}
