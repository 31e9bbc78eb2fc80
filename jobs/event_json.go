package jobs

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
)

// appendJSON appends e as json.Marshal encodes it, without its reflection:
// every received event is encoded once for its task. An event whose text
// json.Marshal would escape (anything but visible ASCII, a quote or a
// backslash in a field; the <, > and & it escapes for HTML, or U+2028 and
// U+2029, in the payload) is left to json.Marshal, as is a time it refuses
// and a payload that is not valid JSON.
func (e ApplyEvent) appendJSON(b []byte) ([]byte, error) {
	if !plainJSONText(e.Source) || !plainJSONText(e.Kind) || !plainJSONText(e.EventID) || !plainJSONText(e.EventType) ||
		bytes.ContainsAny(e.Payload, "<>&\u2028\u2029") || e.Payload == nil {
		return e.appendMarshaled(b)
	}
	// The field names, the time and the replay count take less than 128 bytes.
	b = slices.Grow(b, 128+len(e.Source)+len(e.Kind)+len(e.EventID)+len(e.EventType)+len(e.Payload))
	start := len(b)
	b = append(b, `{"source":"`...)
	b = append(b, e.Source...)
	b = append(b, `","kind":"`...)
	b = append(b, e.Kind...)
	b = append(b, `","event_id":"`...)
	b = append(b, e.EventID...)
	b = append(b, `","event_type":"`...)
	b = append(b, e.EventType...)
	b = append(b, `","occurred_at":"`...)
	b, err := e.OccurredAt.AppendText(b)
	if err != nil {
		return e.appendMarshaled(b[:start])
	}
	b = append(b, `","payload":`...)
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, e.Payload); err != nil {
		return e.appendMarshaled(b[:start])
	}
	b = buf.Bytes()
	if e.Replay != 0 {
		b = append(b, `,"replay":`...)
		b = strconv.AppendInt(b, int64(e.Replay), 10)
	}
	return append(b, '}'), nil
}

func (e ApplyEvent) appendMarshaled(b []byte) ([]byte, error) {
	out, err := json.Marshal(e)
	return append(b, out...), err
}

// plainJSONText reports whether json.Marshal writes s as it is, quoted.
func plainJSONText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
