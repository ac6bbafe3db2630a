package cdp

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// picture draws a w x h image, colouring each pixel with fill.
func picture(w, h int, fill func(x, y int) color.Color) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, fill(x, y))
		}
	}
	return img
}

func TestCheckRendered(t *testing.T) {
	white := color.RGBA{255, 255, 255, 255}
	tests := []struct {
		name    string
		img     image.Image
		wantErr string // empty: accepted
	}{
		{"blank white", picture(100, 100, func(int, int) color.Color { return white }), "blank"},
		{"a dot on white", picture(100, 100, func(x, y int) color.Color {
			if x < 5 && y < 5 {
				return color.RGBA{200, 0, 0, 255}
			}
			return white
		}), "blank"},
		{"two halves", picture(100, 100, func(x, _ int) color.Color {
			if x < 50 {
				return color.RGBA{0, 0, 0, 255}
			}
			return white
		}), "2 colours"},
		{"noise below the colour resolution", picture(100, 100, func(x, y int) color.Color {
			return color.RGBA{uint8(248 + (x+y)%8), 255, 255, 255}
		}), "blank"},
		{"gradient", picture(100, 100, func(x, y int) color.Color {
			return color.RGBA{uint8(x * 2), uint8(y * 2), 128, 255}
		}), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckRendered(encodePNG(t, tc.img), 8)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("CheckRendered = %v, want accepted", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("CheckRendered = %v, want an error with %q", err, tc.wantErr)
			}
		})
	}
}

func TestMeasurePNGRejectsOtherData(t *testing.T) {
	if _, err := MeasurePNG([]byte("GIF89a not a png")); err == nil {
		t.Fatal("MeasurePNG accepted data that is not a PNG")
	}
}
