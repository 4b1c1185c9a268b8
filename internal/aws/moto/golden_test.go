package moto_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stepflow/stepflow/internal/testproc"
)

// Every golden state machine definition is accepted by moto's Amazon
// States Language parser (LocalStack's ANTLR grammar, which moto runs at
// CreateStateMachine when it executes state machines), a second grammar
// next to asl-validator; and the parser does refuse a bad definition.
func TestGoldenDefinitionsParse(t *testing.T) {
	testproc.SkipShort(t, "needs moto_server")
	// The parser runs only in moto's executing mode, whose state
	// machines are kept apart: switched back for the other tests.
	motoConfig(t, `{"stepfunctions": {"execute_state_machine": true}}`)
	t.Cleanup(func() { motoConfig(t, `{"stepfunctions": {"execute_state_machine": false}}`) })

	cfg, err := config.LoadDefaultConfig(bg, config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")))
	if err != nil {
		t.Fatal(err)
	}
	c := sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(motoServer.url) })
	create := func(name, def string) error {
		_, err := c.CreateStateMachine(bg, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def),
			RoleArn: aws.String("arn:aws:iam::123456789012:role/stepflow-sfn")})
		return err
	}
	if err := create("golden-bad", `{"StartAt":"x","States":{"x":{"Type":"Bogus","End":true}}}`); err == nil || !strings.Contains(err.Error(), "ASLParserException") {
		t.Fatalf("moto's parser accepts a bad definition (is it on?): %v", err)
	}
	files, err := filepath.Glob("../statemachine/testdata/golden/*/state-machine.json")
	if err != nil || len(files) < 8 {
		t.Fatalf("golden definitions: %v %v", files, err)
	}
	for _, f := range files {
		def, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// What create deploys: the compact form (the golden files are
		// indented for review).
		var compact bytes.Buffer
		if err := json.Compact(&compact, def); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := "golden-" + filepath.Base(filepath.Dir(f))
		if err := create(name, compact.String()); err != nil {
			t.Errorf("%s: moto refuses it: %v", f, err)
		}
	}
}
