// Package cardhtml renders a step's card (package card) as one
// self-contained HTML document, for the viewers: the task page of
// `stepflow ui` and `stepflow card view`. Markdown is rendered by goldmark
// (CommonMark with GitHub's pipe tables), raw HTML in it shown as text and
// links kept only to http, https and mailto URLs and relative ones; charts
// are inline SVG, images data: URLs; there is no script, and every value
// is escaped. Flow binaries do not link this package.
package cardhtml

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow/card"
)

// style is the card document's only style sheet, allowed by its hash in
// the document's Content-Security-Policy.
const style = `body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;margin:0;padding:16px 20px;background:#fff}
h1,h2,h3{line-height:1.25;margin:1.2em 0 .5em}h1{font-size:1.6em}h2{font-size:1.3em}h3{font-size:1.1em}
.el{margin:0 0 20px}
table{border-collapse:collapse;font-size:14px;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;border-radius:4px}code{padding:1px 4px}pre{padding:10px;overflow:auto}pre code{padding:0}
blockquote{margin:0;padding:0 1em;color:#59636e;border-left:4px solid #d0d7de}
img{max-width:100%;height:auto}.note{color:#59636e;font-size:13px}
svg.chart{max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:#1f2328}svg text.title{font-size:14px;font-weight:600}
svg line.grid{stroke:#eaeef2}svg line.axis{stroke:#59636e}`

// CSP returns the Content-Security-Policy under which a card document
// displays: no script, no connection, nothing from any origin; images
// only from data: URLs and the card's own style sheet only. Servers add
// it as a header (with sandbox); Write also puts it in the document.
func CSP() string {
	sum := sha256.Sum256([]byte(style))
	return "default-src 'none'; img-src data:; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'"
}

// Write writes the card k as one self-contained HTML document titled
// title: its style inline, images as data: URLs, charts as inline SVG, no
// script, every value escaped, and a Content-Security-Policy (CSP) that
// forbids anything else.
func Write(w io.Writer, k *card.Card, title string) error {
	md := newMarkdown()
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString(`<meta http-equiv="Content-Security-Policy" content="` + html.EscapeString(CSP()) + "\">\n")
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	b.WriteString("<title>" + html.EscapeString(title) + "</title>\n<style>" + style + "</style>\n</head>\n<body>\n")
	els := k.Elements()
	if len(els) == 0 {
		b.WriteString(`<p class="note">This card is empty.</p>` + "\n")
	}
	for _, e := range els {
		b.WriteString(`<div class="el">` + "\n")
		switch {
		case e.Table != nil:
			writeTableElement(&b, e.Table)
		case e.Image != nil:
			b.WriteString(`<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(e.Image.PNG) +
				`" width="` + strconv.Itoa(e.Image.Width) + `" height="` + strconv.Itoa(e.Image.Height) +
				`" alt="` + html.EscapeString(e.Image.Alt) + `">` + "\n")
		case e.Chart != nil:
			b.WriteString(chartSVG(e.Chart))
		default:
			if err := md.Convert([]byte(e.Markdown), &b); err != nil {
				return fmt.Errorf("card markdown: %w", err)
			}
		}
		b.WriteString("</div>\n")
	}
	b.WriteString("</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTableElement(b *strings.Builder, t *card.Table) {
	b.WriteString("<table>\n")
	if len(t.Columns) > 0 {
		b.WriteString("<thead><tr>")
		for _, c := range t.Columns {
			b.WriteString("<th>" + html.EscapeString(c) + "</th>")
		}
		b.WriteString("</tr></thead>\n")
	}
	b.WriteString("<tbody>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for _, c := range r {
			b.WriteString("<td>" + html.EscapeString(c) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	if t.Total > len(t.Rows) {
		b.WriteString(`<p class="note">The first ` + strconv.Itoa(len(t.Rows)) + " of " + strconv.Itoa(t.Total) + " rows.</p>\n")
	}
}
