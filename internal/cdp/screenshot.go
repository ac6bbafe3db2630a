package cdp

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
)

// Spread describes how varied a picture is.
type Spread struct {
	Width, Height int
	// Colours counts the distinct colours after reducing each channel to
	// its top 5 bits (so anti-aliasing noise does not count as content).
	Colours int
	// Dominant is the share of pixels (0..1) in the most common colour.
	Dominant float64
}

// MeasurePNG decodes a PNG and measures its colour spread.
func MeasurePNG(data []byte) (Spread, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return Spread{}, fmt.Errorf("cdp: screenshot is not a PNG: %w", err)
	}
	return measure(img), nil
}

func measure(img image.Image) Spread {
	b := img.Bounds()
	counts := map[uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			key := (r>>11)<<10 | (g>>11)<<5 | bl>>11
			counts[key]++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	s := Spread{Width: b.Dx(), Height: b.Dy(), Colours: len(counts)}
	if total := b.Dx() * b.Dy(); total > 0 {
		s.Dominant = float64(top) / float64(total)
	}
	return s
}

// CheckRendered fails for a picture that shows less than a rendered page:
// blank or nearly blank (one colour covering more than 98% of it) or drawn
// in fewer than minColours colours.
func CheckRendered(data []byte, minColours int) (Spread, error) {
	s, err := MeasurePNG(data)
	if err != nil {
		return s, err
	}
	if s.Width == 0 || s.Height == 0 {
		return s, fmt.Errorf("cdp: screenshot is empty (%dx%d)", s.Width, s.Height)
	}
	if s.Dominant > 0.98 {
		return s, fmt.Errorf("cdp: screenshot is blank: one colour covers %.1f%% of it", 100*s.Dominant)
	}
	if s.Colours < minColours {
		return s, fmt.Errorf("cdp: screenshot has %d colours, want at least %d", s.Colours, minColours)
	}
	return s, nil
}
