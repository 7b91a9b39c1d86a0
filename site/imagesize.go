package site

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// imageSize reads an image's width and height from its header, for the
// width and height attributes that keep a page from jumping as images load.
// It reads headers only (PNG, GIF, JPEG, WebP): the standard library's
// decoders would add their code to the served binary for nothing.
func imageSize(b []byte) (w, h int, err error) {
	switch {
	case len(b) >= 24 && bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) && string(b[12:16]) == "IHDR":
		return int(binary.BigEndian.Uint32(b[16:20])), int(binary.BigEndian.Uint32(b[20:24])), nil
	case len(b) >= 10 && (bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))):
		return int(binary.LittleEndian.Uint16(b[6:8])), int(binary.LittleEndian.Uint16(b[8:10])), nil
	case len(b) >= 4 && b[0] == 0xff && b[1] == 0xd8:
		return jpegSize(b)
	case len(b) >= 16 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return webpSize(b)
	}
	return 0, 0, errors.New("not a PNG, GIF, JPEG or WebP image")
}

// jpegSize walks the JPEG markers to the first start-of-frame.
func jpegSize(b []byte) (int, int, error) {
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xff {
			return 0, 0, errors.New("bad JPEG marker")
		}
		m := b[i+1]
		if m == 0xff { // fill byte
			i++
			continue
		}
		if m == 0xd8 || m == 0x01 || m >= 0xd0 && m <= 0xd7 { // markers without a length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2 : i+4]))
		// SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
		if m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
			if i+9 > len(b) {
				break
			}
			return int(binary.BigEndian.Uint16(b[i+7 : i+9])), int(binary.BigEndian.Uint16(b[i+5 : i+7])), nil
		}
		if n < 2 {
			break
		}
		i += 2 + n
	}
	return 0, 0, errors.New("JPEG without a frame header")
}

func webpSize(b []byte) (int, int, error) {
	switch string(b[12:16]) {
	case "VP8X":
		if len(b) < 30 {
			break
		}
		w := int(b[24]) | int(b[25])<<8 | int(b[26])<<16
		h := int(b[27]) | int(b[28])<<8 | int(b[29])<<16
		return w + 1, h + 1, nil
	case "VP8L":
		if len(b) < 25 || b[20] != 0x2f {
			break
		}
		v := binary.LittleEndian.Uint32(b[21:25])
		return int(v&0x3fff) + 1, int(v>>14&0x3fff) + 1, nil
	case "VP8 ":
		if len(b) < 30 {
			break
		}
		return int(binary.LittleEndian.Uint16(b[26:28]) & 0x3fff), int(binary.LittleEndian.Uint16(b[28:30]) & 0x3fff), nil
	}
	return 0, 0, errors.New("unknown WebP header")
}
