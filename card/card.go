// Package card holds the reports a step attaches to its task: Markdown
// text, tables, images and charts, added through stepflow.Context.Card
// while the step runs and stored with the task's attempt in the datastore.
//
// A Card is data, not HTML: the Markdown source, the table cells, the
// chart series and the PNG bytes, stored as one JSON document (see
// Card.MarshalJSON; the format is described in docs/cards.md). The
// viewers render it: `stepflow ui` on a task's page and `stepflow card
// view` as one self-contained HTML file. A flow binary links this package
// only, never the renderer.
package card

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
)

// Limits of what a card keeps.
const (
	// MaxTableRows is the number of rows a table keeps; Table.Total counts
	// them all.
	MaxTableRows = 1000
	// MaxImageBytes bounds one image's PNG encoding.
	MaxImageBytes = 8 << 20
	// MaxImagePixels bounds one image's width × height (16384 × 8192, for
	// instance): a browser showing the card decodes it whole.
	MaxImagePixels = 1 << 27
	// MaxPoints bounds the points of one chart series.
	MaxPoints = 100_000
)

// version is the format version of a stored card.
const version = 1

// Card is a report: a list of elements shown in the order they were
// added. Its methods are safe to call from several goroutines.
type Card struct {
	mu       sync.Mutex
	elements []Element
}

// Element is one part of a card; exactly one field is set.
type Element struct {
	Markdown string `json:"markdown,omitempty"`
	Table    *Table `json:"table,omitempty"`
	Image    *Image `json:"image,omitempty"`
	Chart    *Chart `json:"chart,omitempty"`
}

// Table is a table of text cells.
type Table struct {
	Columns []string   `json:"columns,omitempty"`
	Rows    [][]string `json:"rows"`
	// Total is the number of rows given; only the first MaxTableRows are
	// kept in Rows.
	Total int `json:"total"`
}

// Image is a PNG image.
type Image struct {
	PNG    []byte `json:"png"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Alt    string `json:"alt,omitempty"`
}

// ChartKind is the kind of a chart.
type ChartKind string

// The kinds of charts.
const (
	Line      ChartKind = "line"      // each series a line through its (X, Y) points
	Scatter   ChartKind = "scatter"   // each series a cloud of (X, Y) points
	Bar       ChartKind = "bar"       // Y values per category of Categories, series side by side
	Histogram ChartKind = "histogram" // the distribution of each series' Y values in Bins bins
)

// Chart is a chart of one or more series, drawn as SVG.
type Chart struct {
	Kind   ChartKind `json:"kind"`
	Title  string    `json:"title,omitempty"`
	XLabel string    `json:"x_label,omitempty"`
	YLabel string    `json:"y_label,omitempty"`
	Series []Series  `json:"series"`
	// Categories name the bars of a Bar chart, one per Y value.
	Categories []string `json:"categories,omitempty"`
	// Bins is the number of bins of a Histogram; 0 means 20.
	Bins int `json:"bins,omitempty"`
}

// Series is one named set of values of a chart. X is ignored by Bar and
// Histogram charts; for Line and Scatter charts a nil X means 0, 1, 2, ...
type Series struct {
	Name string    `json:"name,omitempty"`
	X    []float64 `json:"x,omitempty"`
	Y    []float64 `json:"y"`
}

// Empty reports whether nothing was added to the card.
func (c *Card) Empty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.elements) == 0
}

// Elements returns a copy of the card's elements.
func (c *Card) Elements() []Element {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Element(nil), c.elements...)
}

// Reset removes every element, for a step that redraws its card before
// each refresh (stepflow.Context.RefreshCard): a chart of the progress so
// far, rather than one more chart per refresh.
func (c *Card) Reset() {
	c.mu.Lock()
	c.elements = nil
	c.mu.Unlock()
}

func (c *Card) add(e Element) {
	c.mu.Lock()
	c.elements = append(c.elements, e)
	c.mu.Unlock()
}

// Markdown adds Markdown text: CommonMark (headings, paragraphs,
// emphasis, code, lists, quotes, links, images) with GitHub's pipe tables.
// The card keeps the source; a viewer renders it, showing raw HTML in it
// as text and keeping links only to http, https and mailto URLs and
// relative ones.
func (c *Card) Markdown(text string) { c.add(Element{Markdown: text}) }

// Table adds a table. rows is a slice (or array) of structs or pointers
// to structs, one row each with a column per exported field; or a slice of
// rows, each a slice or array of values. columns, when given, name the
// columns (for structs, they replace the field names). Cells are the
// values formatted with fmt.Sprint. Only the first MaxTableRows rows are
// kept.
func (c *Card) Table(rows any, columns ...string) error {
	t, err := table(rows, columns)
	if err != nil {
		return fmt.Errorf("card table: %w", err)
	}
	c.add(Element{Table: t})
	return nil
}

func table(rows any, columns []string) (*Table, error) {
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return nil, fmt.Errorf("rows is %T; give a slice of structs or a slice of rows ([][]any, [][]string, ...)", rows)
	}
	elem := v.Type().Elem()
	isPtr := elem.Kind() == reflect.Pointer
	if isPtr {
		elem = elem.Elem()
	}
	t := &Table{Columns: columns, Rows: [][]string{}, Total: v.Len()}
	switch {
	case elem.Kind() == reflect.Struct:
		var fields []int
		var names []string
		for i := range elem.NumField() {
			if f := elem.Field(i); f.IsExported() {
				fields = append(fields, i)
				names = append(names, f.Name)
			}
		}
		if len(fields) == 0 {
			return nil, fmt.Errorf("%s has no exported fields to show as columns", elem)
		}
		if len(columns) == 0 {
			t.Columns = names
		} else if len(columns) != len(fields) {
			return nil, fmt.Errorf("%d column names for the %d exported fields of %s", len(columns), len(fields), elem)
		}
		for i := range min(v.Len(), MaxTableRows) {
			r := v.Index(i)
			row := make([]string, len(fields))
			if isPtr {
				if r.IsNil() {
					t.Rows = append(t.Rows, row)
					continue
				}
				r = r.Elem()
			}
			for j, f := range fields {
				row[j] = fmt.Sprint(r.Field(f).Interface())
			}
			t.Rows = append(t.Rows, row)
		}
	case !isPtr && (elem.Kind() == reflect.Slice || elem.Kind() == reflect.Array ||
		elem.Kind() == reflect.Interface):
		for i := range min(v.Len(), MaxTableRows) {
			r := v.Index(i)
			if r.Kind() == reflect.Interface {
				r = r.Elem()
			}
			if r.Kind() != reflect.Slice && r.Kind() != reflect.Array {
				return nil, fmt.Errorf("row %d is %s, not a slice of values", i, r.Kind())
			}
			row := make([]string, r.Len())
			for j := range row {
				row[j] = fmt.Sprint(r.Index(j).Interface())
			}
			t.Rows = append(t.Rows, row)
		}
	default:
		return nil, fmt.Errorf("rows is %T; give a slice of structs or a slice of rows ([][]any, [][]string, ...)", rows)
	}
	return t, nil
}

// Image adds an image: png holds the bytes of a PNG file, of at most
// MaxImageBytes bytes and MaxImagePixels pixels. alt describes the image
// for people who cannot see it. The card keeps a copy of png.
//
// To add an image.Image, encode it as PNG with package image/png:
//
//	var b bytes.Buffer
//	if err := png.Encode(&b, img); err != nil {
//		return err
//	}
//	if err := c.Card().Image(b.Bytes(), "loss per epoch"); err != nil {
//		return err
//	}
//
// Image takes bytes rather than an image.Image so that this package, which
// every flow binary links, does not link image/png: only a flow that adds
// images pays for PNG encoding.
func (c *Card) Image(png []byte, alt string) error {
	if len(png) > MaxImageBytes {
		return fmt.Errorf("card image: %d bytes of PNG, more than the %d a card keeps; scale it down", len(png), MaxImageBytes)
	}
	width, height, err := pngSize(png)
	if err != nil {
		return fmt.Errorf("card image: %w", err)
	}
	c.add(Element{Image: &Image{PNG: bytes.Clone(png), Width: width, Height: height, Alt: alt}})
	return nil
}

// Chart adds a chart, drawn as SVG by the viewers.
func (c *Card) Chart(ch Chart) error {
	if err := ch.check(); err != nil {
		return fmt.Errorf("card chart %q: %w", ch.Title, err)
	}
	ch.Series = append([]Series(nil), ch.Series...)
	for i := range ch.Series {
		ch.Series[i].X = append([]float64(nil), ch.Series[i].X...)
		ch.Series[i].Y = append([]float64(nil), ch.Series[i].Y...)
	}
	ch.Categories = append([]string(nil), ch.Categories...)
	c.add(Element{Chart: &ch})
	return nil
}

func (ch *Chart) check() error {
	switch ch.Kind {
	case Line, Scatter, Bar, Histogram:
	default:
		return fmt.Errorf("kind %q is not a chart kind; use card.Line, card.Scatter, card.Bar or card.Histogram", ch.Kind)
	}
	if len(ch.Series) == 0 {
		return errors.New("it has no series; give at least one")
	}
	for i, s := range ch.Series {
		if len(s.Y) > MaxPoints {
			return fmt.Errorf("series %d has %d values, more than the %d a chart keeps", i, len(s.Y), MaxPoints)
		}
		switch ch.Kind {
		case Line, Scatter:
			if s.X != nil && len(s.X) != len(s.Y) {
				return fmt.Errorf("series %d has %d X values and %d Y values; give as many of each (or no X)", i, len(s.X), len(s.Y))
			}
		case Bar:
			if len(s.Y) != len(ch.Categories) {
				return fmt.Errorf("series %d has %d values for %d categories; give one value per category", i, len(s.Y), len(ch.Categories))
			}
		}
	}
	if ch.Bins < 0 || ch.Bins > 1000 {
		return fmt.Errorf("%d bins; give 1 to 1000 (0 means 20)", ch.Bins)
	}
	return nil
}

// doc is a card as stored.
type doc struct {
	Version  int       `json:"version"`
	Elements []Element `json:"elements"`
}

// MarshalJSON encodes the card as it is stored: a format version and its
// elements. Chart values that JSON cannot hold (NaN, ±Inf) are left out;
// a bar's become 0.
func (c *Card) MarshalJSON() ([]byte, error) {
	els := c.Elements()
	for i, e := range els {
		if e.Chart != nil {
			els[i].Chart = e.Chart.Normalized()
		}
	}
	return json.Marshal(doc{Version: version, Elements: els})
}

// UnmarshalJSON decodes a stored card.
func (c *Card) UnmarshalJSON(data []byte) error {
	var d doc
	if err := json.Unmarshal(data, &d); err != nil {
		return err
	}
	if d.Version != version {
		return fmt.Errorf("card format version %d is not known to this Stepflow (it reads version %d); view it with a newer stepflow", d.Version, version)
	}
	c.mu.Lock()
	c.elements = d.Elements
	c.mu.Unlock()
	return nil
}

// Normalized returns a copy of the chart as it is stored: the points JSON
// cannot hold (NaN, ±Inf) left out, a bar's become 0, and the X values of
// a Line or Scatter series without them filled in as 0, 1, 2, ... It is
// what a viewer draws.
func (ch *Chart) Normalized() *Chart {
	out := *ch
	out.Series = make([]Series, len(ch.Series))
	for i, s := range ch.Series {
		bad := func(j int) bool {
			return !finite(s.Y[j]) || (j < len(s.X) && !finite(s.X[j]))
		}
		ns := Series{Name: s.Name}
		if ch.Kind == Bar {
			// Bars keep their positions: a missing value is 0.
			ns.Y = make([]float64, len(s.Y))
			for j, y := range s.Y {
				if finite(y) {
					ns.Y[j] = y
				}
			}
			out.Series[i] = ns
			continue
		}
		for j := range s.Y {
			if bad(j) {
				continue
			}
			if s.X != nil {
				ns.X = append(ns.X, s.X[j])
			} else if ch.Kind == Line || ch.Kind == Scatter {
				ns.X = append(ns.X, float64(j))
			}
			ns.Y = append(ns.Y, s.Y[j])
		}
		if ns.Y == nil {
			ns.Y = []float64{}
		}
		out.Series[i] = ns
	}
	return &out
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
