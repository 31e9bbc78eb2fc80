package webhooks

import (
	"bytes"
	"time"
)

// One-pass decoding. decodeCanonical reads a body in two steps: the
// envelope, keeping data as raw bytes, then data as the command its type
// names, so encoding/json scans the data twice over (and a command that
// decodes itself twice more). Most bodies can instead be decoded at once
// into an envelope whose data field already has the command's type, once
// that type is known; decodeOnePass guesses it from the body's first "type"
// key and checks the guess against what the decode read.
//
// The one pass gives the same answer as decodeCanonical or none at all:
// whenever anything fails, or the body has a shape where the two could
// differ, the caller runs decodeCanonical, which also words every error.
// The shapes it leaves out:
//   - a backslash anywhere: an escaped key ("d\u0061ta") could name a
//     field a second time unseen;
//   - "data" twice (in any case: encoding/json matches keys ignoring case):
//     the two-step decode keeps only the last, a typed field would merge
//     them;
//   - data null or absent, or a type other than the guess.
//
// FuzzDecodeStandard checks that the two agree.
var onePassDecoders = map[string]func([]byte) (typ, timestamp string, cmd any, ok bool){
	TypeCustomerUpserted: decodeWhole(same[CustomerUpserted]),
	// Its wire form, so that the data is not decoded once more by
	// UserUpserted's own UnmarshalJSON.
	TypeUserUpserted:          decodeWhole(userUpsertedWire.command),
	TypeUserDeactivated:       decodeWhole(same[UserDeactivated]),
	TypeOrderUpserted:         decodeWhole(same[OrderUpserted]),
	TypeOrderCanceled:         decodeWhole(same[OrderCanceled]),
	TypeSeatAssignRequested:   decodeWhole(same[SeatAssignRequested]),
	TypeSeatUnassignRequested: decodeWhole(same[SeatUnassignRequested]),
}

// decodeOnePass is DecodeStandard for the bodies it can take in one pass;
// ok false means: decode it with decodeCanonical.
func decodeOnePass(body []byte) (Envelope, bool) {
	if bytes.IndexByte(body, '\\') >= 0 || countFold(body, `"data"`) != 1 {
		return Envelope{}, false
	}
	guess, found := typeGuess(body)
	decode, known := onePassDecoders[string(guess)]
	if !found || !known {
		return Envelope{}, false
	}
	typ, rawTS, cmd, ok := decode(body)
	if !ok || typ != string(guess) || rawTS == "" {
		return Envelope{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, rawTS)
	if err != nil {
		return Envelope{}, false
	}
	return Envelope{Type: typ, Timestamp: ts.UTC(), Command: cmd}, true
}

// decodeWhole decodes the whole body, data as W, the form command C is
// read from, and validates the command.
func decodeWhole[W any, C canonicalCommand](read func(W) (C, error)) func([]byte) (string, string, any, bool) {
	return func(body []byte) (string, string, any, bool) {
		var w struct {
			Type      string `json:"type"`
			Timestamp string `json:"timestamp"`
			Data      *W     `json:"data"`
		}
		if decodeStrict(body, &w) != nil || w.Data == nil {
			return "", "", nil, false
		}
		c, err := read(*w.Data)
		if err != nil || c.validate() != nil {
			return "", "", nil, false
		}
		return w.Type, w.Timestamp, c, true
	}
}

func same[C any](c C) (C, error) { return c, nil }

// typeGuess is the string value of the first "type" key in body, wherever
// it is: a guess that the decode confirms.
func typeGuess(body []byte) ([]byte, bool) {
	i := bytes.Index(body, []byte(`"type"`))
	if i < 0 {
		return nil, false
	}
	rest := bytes.TrimLeft(body[i+len(`"type"`):], " \t\r\n")
	rest, ok := bytes.CutPrefix(rest, []byte(":"))
	if !ok {
		return nil, false
	}
	rest, ok = bytes.CutPrefix(bytes.TrimLeft(rest, " \t\r\n"), []byte(`"`))
	if !ok {
		return nil, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return nil, false
	}
	return rest[:end], true
}

// countFold counts the occurrences of the ASCII text s, which starts with a
// quote, in body, ignoring ASCII case. No other letters fold to those of
// "data" in encoding/json's key matching.
func countFold(body []byte, s string) int {
	n := 0
	for i := 0; i+len(s) <= len(body); i++ {
		if body[i] == s[0] && bytes.EqualFold(body[i:i+len(s)], []byte(s)) {
			n++
			i += len(s) - 1
		}
	}
	return n
}
