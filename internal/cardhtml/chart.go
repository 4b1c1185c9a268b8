package cardhtml

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow/card"
)

// Chart drawing: plain SVG that the card's document holds inline, drawn
// here because the four kinds of chart need only axes, ticks and shapes,
// and the document must stay self-contained (no script, no fonts, nothing
// fetched) under its Content-Security-Policy.

// Sizes of a drawn chart, in SVG user units (pixels).
const (
	chartW, chartH = 640.0, 360.0
	padL, padR     = 64.0, 16.0
	padT, padB     = 36.0, 48.0
)

// palette colours the series (the Tableau 10 colours, readable on white).
var palette = [...]string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

func colour(i int) string { return palette[i%len(palette)] }

// svgWriter accumulates the SVG text of one chart.
type svgWriter struct{ b strings.Builder }

func (w *svgWriter) printf(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// text writes escaped text.
func (w *svgWriter) text(x, y float64, anchor, class, s string) {
	w.printf(`<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`+"\n", num(x), num(y), anchor, class, html.EscapeString(s))
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// axis maps data values to pixels.
type axis struct {
	lo, hi     float64 // data range
	from, to   float64 // pixel range
	ticks      []float64
	step       float64  // between ticks
	categories []string // a band axis: one band per category
}

func (a axis) at(v float64) float64 {
	if a.hi == a.lo {
		return (a.from + a.to) / 2
	}
	return a.from + (v-a.lo)/(a.hi-a.lo)*(a.to-a.from)
}

// niceAxis extends [lo, hi] to round tick values, about n of them.
func niceAxis(lo, hi float64, n int, from, to float64) axis {
	if lo == hi {
		d := math.Max(math.Abs(lo)*0.1, 1)
		lo, hi = lo-d, hi+d
	}
	step := niceStep((hi - lo) / float64(n))
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi/step) * step
	a := axis{lo: lo, hi: hi, from: from, to: to, step: step}
	for v := lo; v <= hi+step/2; v += step {
		a.ticks = append(a.ticks, math.Round(v/step)*step)
	}
	return a
}

// niceStep rounds a tick step to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / p; {
	case f <= 1:
		return p
	case f <= 2:
		return 2 * p
	case f <= 5:
		return 5 * p
	}
	return 10 * p
}

// tick formats a value compactly.
func tick(v float64) string {
	if v == 0 {
		return "0"
	}
	if a := math.Abs(v); a >= 1e6 || a < 1e-3 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// tickAt formats a tick of an axis with as many decimals as its step has.
func (a axis) tickAt(v float64) string {
	if a.step <= 0 || math.Abs(v) >= 1e6 || (v != 0 && math.Abs(v) < 1e-3) {
		return tick(v)
	}
	return strconv.FormatFloat(v, 'f', max(0, int(-math.Floor(math.Log10(a.step)))), 64)
}

// chartSVG draws the chart as stored (card.Chart.Normalized: finite
// values, X filled in).
func chartSVG(ch *card.Chart) string {
	ch = ch.Normalized()
	w := &svgWriter{}
	w.printf(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s">`+"\n",
		num(chartW), num(chartH), num(chartW), num(chartH), html.EscapeString(ch.Title))
	if ch.Title != "" {
		w.text(chartW/2, 20, "middle", "title", ch.Title)
	}
	var x, y axis
	plotL, plotR, plotT, plotB := padL, chartW-padR, padT, chartH-padB
	switch ch.Kind {
	case card.Bar:
		x = axis{categories: ch.Categories, from: plotL, to: plotR}
		lo, hi := 0.0, 0.0
		for _, s := range ch.Series {
			for _, v := range s.Y {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		y = niceAxis(lo, hi, 5, plotB, plotT)
	case card.Histogram:
		bins := histogram(ch)
		lo, hi, top := bins.lo, bins.hi, 0.0
		for _, c := range bins.counts {
			for _, n := range c {
				top = math.Max(top, float64(n))
			}
		}
		x = niceAxis(lo, hi, 6, plotL, plotR)
		x.lo, x.hi = lo, hi // bins span the data exactly
		x.ticks = keepInside(x.ticks, lo, hi)
		y = niceAxis(0, math.Max(top, 1), 5, plotB, plotT)
		drawAxes(w, ch, x, y, plotL, plotR, plotT, plotB)
		bw := (plotR - plotL) / float64(len(bins.counts[0]))
		for si, counts := range bins.counts {
			for bi, n := range counts {
				if n == 0 {
					continue
				}
				top := y.at(float64(n))
				w.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="%s"/>`+"\n",
					num(plotL+float64(bi)*bw+0.5), num(top), num(math.Max(bw-1, 0.5)), num(plotB-top), colour(si), opacity(len(bins.counts)))
			}
		}
		return finish(w, ch)
	default:
		xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, s := range ch.Series {
			for j, v := range s.Y {
				xlo, xhi = math.Min(xlo, s.X[j]), math.Max(xhi, s.X[j])
				ylo, yhi = math.Min(ylo, v), math.Max(yhi, v)
			}
		}
		if math.IsInf(xlo, 1) {
			xlo, xhi, ylo, yhi = 0, 1, 0, 1
		}
		x = niceAxis(xlo, xhi, 6, plotL, plotR)
		y = niceAxis(ylo, yhi, 5, plotB, plotT)
	}
	drawAxes(w, ch, x, y, plotL, plotR, plotT, plotB)
	switch ch.Kind {
	case card.Bar:
		band := (plotR - plotL) / float64(max(len(ch.Categories), 1))
		bw := band * 0.8 / float64(len(ch.Series))
		zero := y.at(0)
		for si, s := range ch.Series {
			for j, v := range s.Y {
				x0 := plotL + float64(j)*band + band*0.1 + float64(si)*bw
				top, h := y.at(v), zero-y.at(v)
				if h < 0 {
					top, h = zero, -h
				}
				w.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`+"\n",
					num(x0), num(top), num(bw), num(h), colour(si), html.EscapeString(label(s.Name, ch.Categories[j], v)))
			}
		}
	case card.Line:
		for si, s := range ch.Series {
			var pts []string
			for j, v := range s.Y {
				pts = append(pts, num(x.at(s.X[j]))+","+num(y.at(v)))
			}
			w.printf(`<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", colour(si), strings.Join(pts, " "))
		}
	case card.Scatter:
		for si, s := range ch.Series {
			for j, v := range s.Y {
				w.printf(`<circle cx="%s" cy="%s" r="3" fill="%s" fill-opacity="0.7"/>`+"\n", num(x.at(s.X[j])), num(y.at(v)), colour(si))
			}
		}
	}
	return finish(w, ch)
}

func opacity(n int) string {
	if n > 1 {
		return "0.55"
	}
	return "1"
}

func label(series, category string, v float64) string {
	if series != "" {
		return series + " · " + category + ": " + tick(v)
	}
	return category + ": " + tick(v)
}

func keepInside(ticks []float64, lo, hi float64) []float64 {
	var out []float64
	for _, t := range ticks {
		if t >= lo-1e-9*math.Abs(hi-lo) && t <= hi+1e-9*math.Abs(hi-lo) {
			out = append(out, t)
		}
	}
	return out
}

// drawAxes draws the frame, grid, ticks and axis labels.
func drawAxes(w *svgWriter, ch *card.Chart, x, y axis, l, r, t, b float64) {
	for _, v := range y.ticks {
		py := y.at(v)
		w.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/>`+"\n", num(l), num(py), num(r), num(py))
		w.text(l-6, py+4, "end", "tick", y.tickAt(v))
	}
	if x.categories != nil {
		band := (r - l) / float64(max(len(x.categories), 1))
		every := max(1, len(x.categories)/12)
		for j, c := range x.categories {
			if j%every == 0 {
				w.text(l+band*(float64(j)+0.5), b+16, "middle", "tick", c)
			}
		}
	} else {
		for _, v := range x.ticks {
			px := x.at(v)
			w.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" class="axis"/>`+"\n", num(px), num(b), num(px), num(b+4))
			w.text(px, b+16, "middle", "tick", x.tickAt(v))
		}
	}
	w.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" class="axis"/>`+"\n", num(l), num(b), num(r), num(b))
	w.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" class="axis"/>`+"\n", num(l), num(t), num(l), num(b))
	if ch.XLabel != "" {
		w.text((l+r)/2, b+36, "middle", "label", ch.XLabel)
	}
	if ch.YLabel != "" {
		w.printf(`<text x="14" y="%s" text-anchor="middle" class="label" transform="rotate(-90 14 %s)">%s</text>`+"\n",
			num((t+b)/2), num((t+b)/2), html.EscapeString(ch.YLabel))
	}
}

// finish draws the legend (when a series is named) and closes the SVG.
func finish(w *svgWriter, ch *card.Chart) string {
	x := padL + 8
	for i, s := range ch.Series {
		if s.Name == "" {
			continue
		}
		w.printf(`<rect x="%s" y="%s" width="10" height="10" fill="%s"/>`+"\n", num(x), num(padT-2), colour(i))
		w.text(x+14, padT+7, "start", "legend", s.Name)
		x += 24 + 7*float64(len([]rune(s.Name)))
	}
	w.printf("</svg>\n")
	return w.b.String()
}

// bins are a histogram's counts per series and bin over [lo, hi].
type bins struct {
	lo, hi float64
	counts [][]int
}

func histogram(ch *card.Chart) bins {
	n := ch.Bins
	if n == 0 {
		n = 20
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ch.Series {
		for _, v := range s.Y {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	b := bins{lo: lo, hi: hi}
	for _, s := range ch.Series {
		c := make([]int, n)
		for _, v := range s.Y {
			i := int((v - lo) / (hi - lo) * float64(n))
			c[min(max(i, 0), n-1)]++
		}
		b.counts = append(b.counts, c)
	}
	return b
}
