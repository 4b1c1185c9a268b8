package card

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

// checkPNG checks pngSize against image/png's DecodeConfig on data: both
// accept it with the same size or both reject it, except that pngSize
// also rejects a file whose first chunk is not IHDR and an image of more
// than MaxImagePixels pixels. It reports whether pngSize accepted data.
func checkPNG(t *testing.T, data []byte) bool {
	t.Helper()
	w, h, err := pngSize(data)
	cfg, decodeErr := png.DecodeConfig(bytes.NewReader(data))
	switch {
	case err == nil && decodeErr != nil:
		t.Errorf("pngSize accepts %q (%d×%d); DecodeConfig: %v", data, w, h, decodeErr)
	case err == nil && (w != cfg.Width || h != cfg.Height):
		t.Errorf("pngSize of %q: %d×%d; DecodeConfig: %d×%d", data, w, h, cfg.Width, cfg.Height)
	case err != nil && decodeErr == nil && string(data[12:16]) == "IHDR" && cfg.Width*cfg.Height <= MaxImagePixels:
		t.Errorf("pngSize rejects %q: %v; DecodeConfig accepts it (%d×%d)", data, err, cfg.Width, cfg.Height)
	}
	return err == nil
}

// encoded returns PNG files written by image/png, of every colour type and
// bit depth it writes and of several sizes.
func encoded(t testing.TB) [][]byte {
	rect := image.Rect(0, 0, 5, 3)
	rgba := image.NewRGBA(rect)
	nrgba := image.NewNRGBA(rect)
	nrgba.Set(1, 1, color.NRGBA{1, 2, 3, 4})
	rgba64 := image.NewRGBA64(rect)
	rgba64.Set(1, 1, color.RGBA64{0x1234, 2, 3, 0xffff})
	nrgba64 := image.NewNRGBA64(rect)
	nrgba64.Set(1, 1, color.NRGBA64{0x1234, 2, 3, 4})
	imgs := []image.Image{
		rgba, nrgba, rgba64, nrgba64,
		image.NewGray(image.Rect(0, 0, 1, 1)), image.NewGray(image.Rect(0, 0, 1000, 2)),
		image.NewGray16(image.Rect(0, 0, 2, 700)), image.NewAlpha(rect),
	}
	for _, n := range []int{2, 4, 16, 256} { // bit depths 1, 2, 4, 8
		pal := make(color.Palette, n)
		for i := range pal {
			pal[i] = color.RGBA{uint8(i), 0, 0, 0xff}
		}
		imgs = append(imgs, image.NewPaletted(image.Rect(0, 0, 17, 9), pal))
	}
	// A palette with transparency has a tRNS chunk.
	imgs = append(imgs, image.NewPaletted(rect, color.Palette{color.NRGBA{1, 2, 3, 0}, color.NRGBA{4, 5, 6, 255}}))
	var files [][]byte
	for _, img := range imgs {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		files = append(files, b.Bytes())
	}
	return files
}

// chunk returns a PNG chunk with its CRC.
func chunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(append(c, typ...), data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// ihdr returns the data of an IHDR chunk.
func ihdr(w, h uint32, depth, colour, interlace byte) []byte {
	d := binary.BigEndian.AppendUint32(nil, w)
	d = binary.BigEndian.AppendUint32(d, h)
	return append(d, depth, colour, 0, 0, interlace)
}

// file returns a PNG file of the given chunks.
func file(chunks ...[]byte) []byte {
	return append([]byte(pngSignature), bytes.Join(chunks, nil)...)
}

// fixCRCs sets the CRC of every whole chunk of data.
func fixCRCs(data []byte) {
	for i := len(pngSignature); i+8 <= len(data); {
		end := uint64(i) + 8 + uint64(binary.BigEndian.Uint32(data[i:]))
		if end+4 > uint64(len(data)) {
			return
		}
		binary.BigEndian.PutUint32(data[end:], crc32.ChecksumIEEE(data[i+4:end]))
		i = int(end) + 4
	}
}

func TestPNGSizeEncoded(t *testing.T) {
	for _, f := range encoded(t) {
		if !checkPNG(t, f) {
			t.Errorf("pngSize rejects a file image/png wrote: %q", f[:min(len(f), 40)])
		}
		// Every prefix, and every byte of the first 100 changed, whether
		// the checksums are then fixed or not.
		for n := range len(f) {
			checkPNG(t, f[:n])
		}
		for i := range min(len(f), 100) {
			for _, fix := range []bool{false, true} {
				g := bytes.Clone(f)
				g[i] ^= 0x41
				if fix {
					fixCRCs(g)
				}
				checkPNG(t, g)
			}
		}
	}
}

func TestPNGSizeHeaders(t *testing.T) {
	accepted := 0
	// Every bit depth and colour type, valid ones and not.
	for depth := range 18 {
		for colour := range 8 {
			f := file(chunk("IHDR", ihdr(3, 2, byte(depth), byte(colour), 0)), chunk("PLTE", []byte{1, 2, 3}), chunk("IDAT", nil))
			if checkPNG(t, f) {
				accepted++
			}
		}
	}
	if accepted != 15 { // the combinations of PNG's table 11.1
		t.Errorf("pngSize accepts %d combinations of bit depth and colour type, not PNG's 15", accepted)
	}
	rgb := func(w, h uint32, interlace byte) []byte {
		return file(chunk("IHDR", ihdr(w, h, 8, pngTrueColor, interlace)))
	}
	pal := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}
	p8 := chunk("IHDR", ihdr(4, 4, 8, pngPaletted, 0))
	for _, tc := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{"rgb", rgb(1, 1, 0), true},
		{"adam7", rgb(7, 9, 1), true},
		{"interlace 2", rgb(7, 9, 2), false},
		{"largest", rgb(1<<27, 1, 0), true},
		{"too many pixels", rgb(1<<27+1, 1, 0), false},
		{"too many pixels for DecodeConfig", rgb(1<<31-1, 1<<31-1, 0), false},
		{"width 0", rgb(0, 1, 0), false},
		{"height 0", rgb(1, 0, 0), false},
		{"width 2³¹", rgb(1<<31, 1, 0), false},
		{"height 2³²-1", rgb(1, 1<<32-1, 0), false},
		{"compression 1", file(chunk("IHDR", append(ihdr(1, 1, 8, 0, 0)[:10], 1, 0, 0))), false},
		{"filter 1", file(chunk("IHDR", append(ihdr(1, 1, 8, 0, 0)[:10], 0, 1, 0))), false},
		{"IHDR of 14 bytes", file(chunk("IHDR", append(ihdr(1, 1, 8, 0, 0), 0))), false},
		{"bad CRC", append(file(chunk("IHDR", ihdr(1, 1, 8, 0, 0)))[:29], 0, 0, 0, 0), false},
		{"chunk before IHDR", file(chunk("tEXt", []byte("a\x00b")), chunk("IHDR", ihdr(1, 1, 8, 0, 0))), false},
		{"no chunk", file(), false},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00"), false},
		{"empty", nil, false},
		{"paletted", file(p8, chunk("PLTE", pal), chunk("IDAT", nil)), true},
		{"paletted, IDAT cut short", file(p8, chunk("PLTE", pal), chunk("IDAT", []byte{1, 2, 3})[:10]), true},
		{"paletted with tRNS", file(p8, chunk("tEXt", []byte("x")), chunk("PLTE", pal), chunk("tRNS", []byte{0})), true},
		{"paletted, no PLTE", file(p8, chunk("IDAT", nil)), false},
		{"paletted, tRNS first", file(p8, chunk("tRNS", []byte{0}), chunk("PLTE", pal)), false},
		{"paletted, tRNS of 257", file(p8, chunk("PLTE", pal), chunk("tRNS", make([]byte, 257))), false},
		{"paletted, two PLTEs", file(p8, chunk("PLTE", pal), chunk("PLTE", pal), chunk("IDAT", nil)), false},
		{"paletted, PLTE of 4", file(p8, chunk("PLTE", pal[:4]), chunk("IDAT", nil)), false},
		{"paletted, empty PLTE", file(p8, chunk("PLTE", nil), chunk("IDAT", nil)), false},
		{"1-bit palette of 3", file(chunk("IHDR", ihdr(4, 4, 1, pngPaletted, 0)), chunk("PLTE", pal), chunk("IDAT", nil)), false},
		{"1-bit palette of 2", file(chunk("IHDR", ihdr(4, 4, 1, pngPaletted, 0)), chunk("PLTE", pal[:6]), chunk("IDAT", nil)), true},
		{"paletted, IEND", file(p8, chunk("PLTE", pal), chunk("IEND", nil)), false},
		{"paletted, ends after PLTE", file(p8, chunk("PLTE", pal)), false},
		{"paletted, long unknown chunk", file(p8, []byte{0x80, 0, 0, 0, 'a', 'b', 'c', 'd'}), false},
		{"paletted, unknown chunk's bad CRC", file(p8, chunk("abcd", nil)[:8], []byte{1, 2, 3, 4}), false},
	} {
		_, _, err := pngSize(tc.data)
		if (err == nil) != tc.ok {
			t.Errorf("%s: pngSize: %v; want ok %v", tc.name, err, tc.ok)
		}
		checkPNG(t, tc.data)
	}
}

func TestImageLimits(t *testing.T) {
	c := &Card{}
	huge := file(chunk("IHDR", ihdr(1<<14, 1<<13+1, 8, pngGray, 0)))
	if err := c.Image(huge, ""); err == nil || !strings.Contains(err.Error(), "pixels") {
		t.Errorf("an image of more than MaxImagePixels pixels: %v", err)
	}
	if err := c.Image(file(chunk("IHDR", ihdr(1<<14, 1<<13, 8, pngGray, 0))), "ok"); err != nil {
		t.Errorf("an image of MaxImagePixels pixels: %v", err)
	}
	big := append(file(chunk("IHDR", ihdr(1, 1, 8, pngGray, 0))), make([]byte, MaxImageBytes)...)
	if err := c.Image(big, ""); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Errorf("more than MaxImageBytes bytes: %v", err)
	}
	err := c.Image([]byte("GIF89a"), "")
	if err == nil || !strings.Contains(err.Error(), "signature") || !strings.Contains(err.Error(), "image/png") {
		t.Errorf("not a PNG file: %v", err)
	}
	if els := c.Elements(); len(els) != 1 || els[0].Image.Width != 1<<14 || els[0].Image.Height != 1<<13 || els[0].Image.Alt != "ok" {
		t.Errorf("elements: %+v", els)
	}
}

func FuzzPNG(f *testing.F) {
	for _, data := range encoded(f) {
		f.Add(data, false)
	}
	pal := []byte{1, 2, 3, 4, 5, 6}
	f.Add(file(chunk("IHDR", ihdr(4, 4, 2, pngPaletted, 1)), chunk("tEXt", []byte("a")), chunk("PLTE", pal), chunk("tRNS", []byte{0})), true)
	f.Add(file(chunk("IHDR", ihdr(1<<27-1, 1, 16, pngTrueAlpha, 0))), true)
	f.Fuzz(func(t *testing.T, data []byte, fix bool) {
		if fix {
			// Valid checksums let the fuzzer reach past them.
			fixCRCs(data)
		}
		checkPNG(t, data)
	})
}
