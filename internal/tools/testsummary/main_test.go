package main

import (
	"strings"
	"testing"
)

const stream = `{"Action":"start","Package":"ex/a"}
{"Action":"run","Package":"ex/a","Test":"TestSlow"}
{"Action":"output","Package":"ex/a","Test":"TestSlow","Output":"=== RUN   TestSlow\n"}
{"Action":"output","Package":"ex/a","Test":"TestSlow","Output":"--- PASS: TestSlow (2.50s)\n"}
{"Action":"pass","Package":"ex/a","Test":"TestSlow","Elapsed":2.5}
{"Action":"run","Package":"ex/a","Test":"TestSkipped"}
{"Action":"skip","Package":"ex/a","Test":"TestSkipped","Elapsed":0}
{"Action":"output","Package":"ex/a","Output":"PASS\n"}
{"Action":"output","Package":"ex/a","Output":"ok  \tex/a\t2.600s\n"}
{"Action":"pass","Package":"ex/a","Elapsed":2.6}
{"Action":"start","Package":"ex/b"}
{"Action":"run","Package":"ex/b","Test":"TestGood"}
{"Action":"output","Package":"ex/b","Test":"TestGood","Output":"good chatter\n"}
{"Action":"pass","Package":"ex/b","Test":"TestGood","Elapsed":0.1}
{"Action":"run","Package":"ex/b","Test":"TestBad"}
{"Action":"output","Package":"ex/b","Test":"TestBad","Output":"    b_test.go:9: boom\n"}
{"Action":"output","Package":"ex/b","Test":"TestBad","Output":"--- FAIL: TestBad (0.20s)\n"}
{"Action":"fail","Package":"ex/b","Test":"TestBad","Elapsed":0.2}
{"Action":"output","Package":"ex/b","Output":"FAIL\n"}
{"Action":"output","Package":"ex/b","Output":"FAIL\tex/b\t0.400s\n"}
{"Action":"fail","Package":"ex/b","Elapsed":0.4}
{"ImportPath":"ex/c [ex/c.test]","Action":"build-output","Output":"c_test.go:3:1: syntax error\n"}
{"ImportPath":"ex/c [ex/c.test]","Action":"build-fail"}
{"Action":"start","Package":"ex/c"}
{"Action":"output","Package":"ex/c","Output":"FAIL\tex/c [build failed]\n"}
{"Action":"fail","Package":"ex/c","Elapsed":0}
{"Action":"start","Package":"ex/d"}
{"Action":"output","Package":"ex/d","Output":"?   \tex/d\t[no test files]\n"}
{"Action":"skip","Package":"ex/d","Elapsed":0}
go: a message of the go command
{"Action":"start","Package":"ex/e"}
{"Action":"run","Package":"ex/e","Test":"TestHangs"}
{"Action":"output","Package":"ex/e","Test":"TestHangs","Output":"=== RUN   TestHangs\n"}
`

func TestSummary(t *testing.T) {
	var b strings.Builder
	s := &summary{w: &b, pkgs: map[string]*pkg{}, top: 10}
	if err := s.read(strings.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	if s.report() {
		t.Error("report says everything passed")
	}
	out := b.String()
	for _, want := range []string{
		"ok  \tex/a\t2.600s\n",
		"    b_test.go:9: boom\n--- FAIL: TestBad (0.20s)\n",
		"FAIL\tex/b\t0.400s\n",
		"c_test.go:3:1: syntax error\n",
		"FAIL\tex/c [build failed]\n",
		"?   \tex/d\t[no test files]\n",
		"go: a message of the go command\n",
		"--- ex/e did not finish",
		"== time per package (slowest first)\nok  \tex/a\t2.600s\nFAIL\tex/b\t0.400s\nFAIL\tex/c\t0.000s\n",
		"    2.50s  ex/a  TestSlow\n",
		"1 passed, 3 failed, 1 without tests (1 did not finish); 1 tests skipped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"good chatter", "=== RUN   TestSlow", "PASS\n"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("unwanted %q in\n%s", unwanted, out)
		}
	}
}
