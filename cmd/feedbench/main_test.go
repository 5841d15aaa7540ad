package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary serve as the farm's child process, as
// feedbench itself does.
func TestMain(m *testing.M) {
	if v := os.Getenv(farmChildEnv); v != "" {
		cfg, err := parseFarmEnv(v)
		if err == nil {
			err = runFarmChild(cfg)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBench runs a small benchmark end to end and checks its verdicts: every
// item stored, none lost, no SQLITE_BUSY, and the publisher answering. It
// asserts no timing.
func TestBench(t *testing.T) {
	for _, farm := range []string{"child", "in-process"} {
		t.Run(farm, func(t *testing.T) {
			args := []string{"-feeds", "60", "-items", "5", "-hosts", "4", "-rounds", "2", "-new-per-round", "2",
				"-wrk=false", "-publish-duration", "100ms", "-config", "../../config.example.yaml"}
			if farm == "in-process" {
				args = append(args, "-farm-in-process")
			}
			var out, errOut bytes.Buffer
			if code := run(context.Background(), args, &out, &errOut); code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
			}
			t.Log(out.String())
			for _, want := range []string{
				"stored items: 540, expected 540: 0 lost",
				"SQLITE_BUSY / database is locked: 0",
				"items lost: 0",
				"classification: 540 items",
				"curator: last of 300 items classified at", // the first poll's
				"curator: last of 120 items classified at", // each later one's
				"If-None-Match (304)",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q", want)
				}
			}
		})
	}
}

func TestBenchFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-feeds", "0"},
		{"-latency", "-1s"},
		{"-rounds", "-1"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
