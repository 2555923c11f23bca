package protection

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectorDir holds the RFC 9001 and RFC 9369 Appendix A vectors as hex files.
const vectorDir = "../../../../shared/testdata/quic-vectors"

// odcid is the client's original Destination Connection ID in every vector.
var odcid = unhex("8394c8f03e515708")

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic("bad hex in test table: " + err.Error())
	}
	return b
}

// withTagRoom returns a copy of the concatenated parts with TagLen bytes of
// spare capacity, as Seal requires.
func withTagRoom(parts ...[]byte) []byte {
	var n int
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n+TagLen)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func readVector(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatalf("reading vector: %v", err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("vector %s: %v", name, err)
	}
	return b
}

// TestInitialKeyValues checks the intermediate values listed in RFC 9001,
// Appendix A.1, and RFC 9369, Appendix A.1.
func TestInitialKeyValues(t *testing.T) {
	tests := []struct {
		version        uint32
		labels         *labels
		ckey, civ, chp string
		skey, siv, shp string
	}{
		{
			Version1, &labelsV1,
			"1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
			"9f50449e04a0e810283a1e9933adedd2",
			"cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e",
			"c206b8d9b9f0f37644430b490eeaa314",
		},
		{
			Version2, &labelsV2,
			"8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
			"45b95e15235d6f45a6b19cbcb0294ba9",
			"82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652",
			"edf6d05c83121201b436e16877593c3a",
		},
	}
	for _, tt := range tests {
		cs, ss, err := initialSecrets(tt.version, odcid)
		if err != nil {
			t.Fatal(err)
		}
		check := func(secret []byte, label string, n int, want string) {
			t.Helper()
			got, err := expandLabel(sha256.New, secret, label, n)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != want {
				t.Errorf("version %#x %q: got %x, want %s", tt.version, label, got, want)
			}
		}
		check(cs, tt.labels.key, 16, tt.ckey)
		check(cs, tt.labels.iv, 12, tt.civ)
		check(cs, tt.labels.hp, 16, tt.chp)
		check(ss, tt.labels.key, 16, tt.skey)
		check(ss, tt.labels.iv, 12, tt.siv)
		check(ss, tt.labels.hp, 16, tt.shp)

		client, _, err := NewInitialKeys(tt.version, odcid)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(client.iv[:]); got != tt.civ {
			t.Errorf("version %#x: client Keys IV %s, want %s", tt.version, got, tt.civ)
		}
	}
}

// initialCase is one Initial packet of the appendices.
type initialCase struct {
	name       string
	version    uint32
	fromClient bool
	header     []byte
	payload    []byte
	protected  []byte
	pn         int64
}

func initialCases(t *testing.T) []initialCase {
	crypto := readVector(t, "rfc9001_client_initial_crypto_frame.hex")
	// The client's payload is the CRYPTO frame padded with PADDING frames
	// (zero bytes) to fill the 1200-byte datagram.
	clientPayload := make([]byte, 1162)
	copy(clientPayload, crypto)
	serverPayload := readVector(t, "rfc9001_server_initial_payload.hex")
	var cases []initialCase
	for _, v := range []struct {
		prefix  string
		version uint32
	}{{"rfc9001", Version1}, {"rfc9369", Version2}} {
		cases = append(cases,
			initialCase{
				name: v.prefix + " client", version: v.version, fromClient: true,
				header:    readVector(t, v.prefix+"_client_initial_unprotected_header.hex"),
				payload:   clientPayload,
				protected: readVector(t, v.prefix+"_client_initial_protected_packet.hex"),
				pn:        2,
			},
			initialCase{
				name: v.prefix + " server", version: v.version,
				header:    readVector(t, v.prefix+"_server_initial_unprotected_header.hex"),
				payload:   serverPayload,
				protected: readVector(t, v.prefix+"_server_initial_protected_packet.hex"),
				pn:        1,
			})
	}
	return cases
}

// TestInitialVectors protects the unprotected Initial packets of RFC 9001
// and RFC 9369, Appendices A.2 and A.3, and compares with the protected
// packets, then unprotects the protected packets and compares back.
func TestInitialVectors(t *testing.T) {
	for _, tc := range initialCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			client, server, err := NewInitialKeys(tc.version, odcid)
			if err != nil {
				t.Fatal(err)
			}
			k := server
			if tc.fromClient {
				k = client
			}
			// The packet number is the last field of the header: its length
			// is in the low bits of the first byte.
			pnLen := int(tc.header[0]&3) + 1
			pnOffset := len(tc.header) - pnLen

			pkt := withTagRoom(tc.header, tc.payload)
			got, err := k.Seal(pkt, pnOffset, pnLen, tc.pn)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if !bytes.Equal(got, tc.protected) {
				t.Errorf("Seal mismatch\ngot  %x\nwant %x", got, tc.protected)
			}

			// A fresh receiver: the same secret, but its own Keys.
			client2, server2, err := NewInitialKeys(tc.version, odcid)
			if err != nil {
				t.Fatal(err)
			}
			rk := server2
			if tc.fromClient {
				rk = client2
			}
			in := append([]byte(nil), tc.protected...)
			payload, pn, _, err := rk.Open(in, pnOffset, -1)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if pn != tc.pn {
				t.Errorf("Open packet number %d, want %d", pn, tc.pn)
			}
			if !bytes.Equal(in[:len(tc.header)], tc.header) {
				t.Errorf("Open header %x, want %x", in[:len(tc.header)], tc.header)
			}
			if !bytes.Equal(payload, tc.payload) {
				t.Errorf("Open payload mismatch\ngot  %x\nwant %x", payload, tc.payload)
			}
		})
	}
}

// chachaCase is the short header example of RFC 9001 and RFC 9369,
// Appendix A.5.
var chachaCases = []struct {
	name      string
	version   uint32
	ku        string
	protected string
}{
	{
		"rfc9001", Version1,
		"1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9",
		"4cfe4189655e5cd55c41f69080575d7999c25a5bfb",
	},
	{
		"rfc9369", Version2,
		"c69374c49e3d2a9466fa689e49d476db5d0dfbc87d32ceeaa6343fd0ae4c7d88",
		"5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba",
	},
}

var chachaSecret = unhex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b")

const chachaPN = 654360564

func TestChaCha20ShortHeaderVectors(t *testing.T) {
	header := unhex("4200bff4")
	payload := []byte{0x01} // PING
	for _, tc := range chachaCases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := NewKeys(tc.version, tls.TLS_CHACHA20_POLY1305_SHA256, chachaSecret)
			if err != nil {
				t.Fatal(err)
			}
			pkt := withTagRoom(header, payload)
			got, err := k.Seal(pkt, 1, 3, chachaPN)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if want := unhex(tc.protected); !bytes.Equal(got, want) {
				t.Errorf("Seal got %x, want %x", got, want)
			}

			in := unhex(tc.protected)
			// The largest packet number received so far need only be within
			// half the 3-byte window of the packet number.
			gotPayload, pn, phase, err := k.Open(in, 1, chachaPN-1000)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if pn != chachaPN || phase {
				t.Errorf("Open pn %d phase %v, want %d false", pn, phase, chachaPN)
			}
			if !bytes.Equal(in[:4], header) || !bytes.Equal(gotPayload, payload) {
				t.Errorf("Open got header %x payload %x", in[:4], gotPayload)
			}

			next, err := k.Next()
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(next.secret); got != tc.ku {
				t.Errorf("next secret %s, want %s", got, tc.ku)
			}
		})
	}
}

// TestRetryVectors computes and verifies the Retry Integrity Tag of RFC 9001,
// Appendix A.4, and RFC 9369, Appendix A.4, and checks that any flipped bit
// makes verification fail.
func TestRetryVectors(t *testing.T) {
	for _, tc := range []struct {
		file    string
		version uint32
	}{{"rfc9001_retry_packet.hex", Version1}, {"rfc9369_retry_packet.hex", Version2}} {
		t.Run(tc.file, func(t *testing.T) {
			retry := readVector(t, tc.file)
			body := retry[:len(retry)-TagLen]
			tag, err := RetryIntegrityTag(tc.version, odcid, body)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tag[:], retry[len(body):]) {
				t.Errorf("tag %x, want %x", tag, retry[len(body):])
			}
			if !VerifyRetry(tc.version, odcid, retry) {
				t.Fatal("VerifyRetry rejected the RFC packet")
			}
			other := Version1
			if tc.version == Version1 {
				other = Version2
			}
			if VerifyRetry(other, odcid, retry) {
				t.Error("VerifyRetry accepted the packet under the other version")
			}
			for bit := range 8 * len(retry) {
				bad := append([]byte(nil), retry...)
				bad[bit/8] ^= 1 << (bit % 8)
				if VerifyRetry(tc.version, odcid, bad) {
					t.Fatalf("VerifyRetry accepted the packet with bit %d flipped", bit)
				}
			}
			badID := append([]byte(nil), odcid...)
			badID[0] ^= 1
			if VerifyRetry(tc.version, badID, retry) {
				t.Error("VerifyRetry accepted a different original connection ID")
			}
			if VerifyRetry(tc.version, odcid, retry[:TagLen-1]) {
				t.Error("VerifyRetry accepted a truncated packet")
			}
		})
	}
}
