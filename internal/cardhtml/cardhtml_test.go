package cardhtml_test

import (
	"bytes"
	"encoding/json"
	"html"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/internal/cardhtml"
)

const xss = `<script>alert("x")</script>`

func render(t *testing.T, k *card.Card) string {
	t.Helper()
	var b bytes.Buffer
	if err := cardhtml.Write(&b, k, "T "+xss); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// body returns the HTML between <body> and </body>.
func body(h string) string {
	_, after, _ := strings.Cut(h, "<body>\n")
	before, _, _ := strings.Cut(after, "</body>")
	return before
}

// storedCard reads testdata/card-v1.json: a card with one element of
// every kind, values meant to inject markup among them, as a binary
// before the renderer left the card package stored it (card format
// version 1).
func storedCard(t *testing.T) *card.Card {
	t.Helper()
	data, err := os.ReadFile("testdata/card-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	k := &card.Card{}
	if err := json.Unmarshal(data, k); err != nil {
		t.Fatalf("a card stored by an earlier binary does not load: %v", err)
	}
	return k
}

// A card stored by an earlier binary renders whole: every element, every
// value escaped, no script and no unsafe link.
func TestStoredCard(t *testing.T) {
	h := render(t, storedCard(t))
	for _, want := range []string{
		"<h1>Report</h1>", "<strong>best</strong>", "<code>eu</code>",
		`<a href="https://example.com/d" rel="noopener noreferrer">docs</a>`, " bad</li>",
		"<li>one</li>", `<th align="right">b</th>`, `<td align="right">&lt;script&gt;`,
		"<th>Shard</th><th>Score</th>", "<th>n</th><th>name</th>", "<td>y</td>",
		`<img src="data:image/png;base64,`, `width="3" height="2" alt="a red dot"`,
		"<polyline", "<circle", "<rect", ">epoch</text>", ">train</text>", "loss &lt;script&gt;",
		`http-equiv="Content-Security-Policy"`, html.EscapeString(cardhtml.CSP()),
		"<title>T &lt;script&gt;",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("the card's HTML lacks %q:\n%s", want, body(h))
		}
	}
	if strings.Contains(h, "<script") || strings.Contains(h, "javascript:") {
		t.Errorf("the card's HTML holds markup from its values:\n%s", h)
	}
	// The title, the Markdown twice, a table cell and a chart title.
	if n := strings.Count(h, "&lt;script&gt;"); n < 5 {
		t.Errorf("the <script> values should show as text 5 times, not %d:\n%s", n, body(h))
	}
}

func TestMarkdown(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a *b* _c_ **d** `e<f`", "<p>a <em>b</em> <em>c</em> <strong>d</strong> <code>e&lt;f</code></p>"},
		{"## T ##", "<h2>T</h2>"},
		{"```go\nx := <a>\n```", `<pre><code class="language-go">x := &lt;a&gt;` + "\n</code></pre>"},
		{"> quoted\n> more", "<blockquote>\n<p>quoted\nmore</p>\n</blockquote>"},
		{"1. a\n2. b\n   - c", "<ol>\n<li>a</li>\n<li>b\n<ul>\n<li>c</li>\n</ul>\n</li>\n</ol>"},
		{"---", "<hr>"},
		{"line  \nnext", "<p>line<br>\nnext</p>"},
		{"2 * 3 * 4", "<p>2 * 3 * 4</p>"},
		// Raw HTML, inline or as a block, shows as text.
		{`\*not\* <b>x</b>`, "<p>*not* &lt;b&gt;x&lt;/b&gt;</p>"},
		{"<div onclick=\"f()\">\nhi\n</div>", "<p>&lt;div onclick=&#34;f()&#34;&gt;\nhi\n&lt;/div&gt;</p>"},
		{"<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"},
		// Links keep http, https, mailto and relative targets; any other
		// scheme, however written, leaves the text alone.
		{"[x](data:text/html,hi) [y](/rel)", `<p>x <a href="/rel" rel="noopener noreferrer">y</a></p>`},
		{"[a](JavaScript:alert(1)) [b](<java\tscript:alert(1)>) [c](&#106;avascript:alert(1))", "<p>a b c</p>"},
		{"[m](mailto:a@b.c) [q](?x=1#y)", `<p><a href="mailto:a@b.c" rel="noopener noreferrer">m</a> <a href="?x=1#y" rel="noopener noreferrer">q</a></p>`},
		{"<https://example.com/a> <vbscript:msgbox(1)>", `<p><a href="https://example.com/a" rel="noopener noreferrer">https://example.com/a</a> vbscript:msgbox(1)</p>`},
		// Images only from data: URLs load (the document's CSP); a
		// script URL is dropped.
		{"![i](javascript:alert(1))", `<p><img src="" alt="i"></p>`},
		// Pipe tables, aligned without style attributes (the CSP forbids
		// them).
		{"| a | b |\n|:-:|--:|\n| 1 | 2 |", "<thead>\n<tr>\n<th align=\"center\">a</th>\n<th align=\"right\">b</th>"},
	} {
		k := &card.Card{}
		k.Markdown(tc.in)
		h := render(t, k)
		if !strings.Contains(h, tc.want) {
			t.Errorf("markdown %q: want %q in\n%s", tc.in, tc.want, body(h))
		}
		if strings.Contains(h, "style=") {
			t.Errorf("markdown %q: a style attribute, which the card's CSP blocks:\n%s", tc.in, body(h))
		}
	}
}

// A card as a step builds it (NaN points, no X) draws as it does once
// stored and read back.
func TestRendersAsStored(t *testing.T) {
	k := &card.Card{}
	k.Markdown("# Loss")
	if err := k.Chart(card.Chart{Kind: card.Line, Title: "loss", Series: []card.Series{{Name: "train", Y: []float64{3, math.NaN(), 1.5}}}}); err != nil {
		t.Fatal(err)
	}
	if err := k.Chart(card.Chart{Kind: card.Histogram, Bins: 4, Series: []card.Series{{Y: []float64{1, 1, 2, 3, 4, 4, 4}}}}); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var back card.Card
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if a, b := render(t, k), render(t, &back); a != b {
		t.Errorf("the card renders differently once stored:\n%s\n%s", body(a), body(b))
	}
}

func TestTables(t *testing.T) {
	k := &card.Card{}
	rows := make([][]int, card.MaxTableRows+5)
	for i := range rows {
		rows[i] = []int{i}
	}
	if err := k.Table(rows); err != nil {
		t.Fatal(err)
	}
	if h := render(t, k); !strings.Contains(h, "The first 1000 of 1005 rows") {
		t.Error("a cut table does not say so")
	}
	if h := render(t, &card.Card{}); !strings.Contains(h, "This card is empty.") {
		t.Error("an empty card does not say so")
	}
}
