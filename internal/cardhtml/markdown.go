package cardhtml

import (
	"html"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// newMarkdown returns the Markdown converter of a card's text: CommonMark
// with GitHub's pipe tables, by goldmark, configured so that nothing in
// the text can add markup or script. goldmark's HTML renderer is left
// safe (raw HTML is not passed through; unsafe: false is its default); on
// top of it, raw HTML is shown as text (rawHTMLAsText), links keep their
// target only for http, https and mailto URLs and relative ones
// (safeLinks), and table cells are aligned with the align attribute, since
// the card's Content-Security-Policy allows no style attributes.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute))),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(safeLinks{}, 100))),
		// A lower number registers later, replacing the default renderer's
		// functions for raw HTML.
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(rawHTMLAsText{}, 100))),
	)
}

// safeLinks replaces each link whose target is not a safe URL (safeURL)
// by its text, and marks the others rel="noopener noreferrer".
type safeLinks struct{}

// Transform implements parser.ASTTransformer.
func (safeLinks) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	source := reader.Source()
	var unsafe []ast.Node
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch l := n.(type) {
		case *ast.Link:
			// The target as the renderer writes it: backslash escapes and
			// character references resolved, then percent-encoded.
			if !safeURL(string(util.URLEscape(l.Destination, true))) {
				unsafe = append(unsafe, l)
				break
			}
			l.SetAttributeString("rel", []byte("noopener noreferrer"))
		case *ast.AutoLink:
			if l.AutoLinkType == ast.AutoLinkURL && !safeURL(string(util.URLEscape(l.URL(source), false))) {
				unsafe = append(unsafe, l)
				break
			}
			l.SetAttributeString("rel", []byte("noopener noreferrer"))
		}
		return ast.WalkContinue, nil
	})
	for _, n := range unsafe {
		parent := n.Parent()
		if l, ok := n.(*ast.AutoLink); ok {
			parent.ReplaceChild(parent, l, ast.NewString(l.Label(source)))
			continue
		}
		for c := n.FirstChild(); c != nil; c = n.FirstChild() {
			n.RemoveChild(n, c)
			parent.InsertBefore(parent, n, c)
		}
		parent.RemoveChild(parent, n)
	}
}

// safeURL reports whether a link may point at u: an http, https or mailto
// URL, or a relative one (no scheme). It reads u as a browser does: tabs
// and newlines removed, leading and trailing spaces and control
// characters trimmed, the scheme case-insensitive.
func safeURL(u string) bool {
	u = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, u)
	u = strings.TrimFunc(u, func(r rune) bool { return r <= ' ' })
	for i, r := range u {
		switch {
		case r == ':':
			switch strings.ToLower(u[:i]) {
			case "http", "https", "mailto":
				return true
			}
			return false
		case r == '/' || r == '?' || r == '#':
			return true // a relative URL: its path, query or fragment comes first
		}
	}
	return true
}

// rawHTMLAsText renders the raw HTML of a card's Markdown, inline or as a
// block, as escaped text.
type rawHTMLAsText struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (rawHTMLAsText) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(ast.KindRawHTML, renderRawHTML)
	r.Register(ast.KindHTMLBlock, renderHTMLBlock)
}

func renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		segs := node.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			seg := segs.At(i)
			w.WriteString(html.EscapeString(string(seg.Value(source))))
		}
	}
	return ast.WalkSkipChildren, nil
}

func renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	var b strings.Builder
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		b.Write(seg.Value(source))
	}
	if n.HasClosure() {
		b.Write(n.ClosureLine.Value(source))
	}
	w.WriteString("<p>" + html.EscapeString(strings.TrimRight(b.String(), "\n")) + "</p>\n")
	return ast.WalkSkipChildren, nil
}
