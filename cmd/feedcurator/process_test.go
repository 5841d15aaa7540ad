package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds feedcurator once per test run, without cgo.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "feedcurator-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "feedcurator")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return binPath
}

// notifySocket listens on a real unixgram NOTIFY_SOCKET and collects what
// the service sends.
type notifySocket struct {
	conn *net.UnixConn
	mu   sync.Mutex
	msgs []string
}

func newNotifySocket(t *testing.T) (*notifySocket, string) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	ns := &notifySocket{conn: conn}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			ns.mu.Lock()
			ns.msgs = append(ns.msgs, string(buf[:n]))
			ns.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return ns, path
}

func (ns *notifySocket) saw(s string) bool {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for _, m := range ns.msgs {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDaemonSignalsAndSIGTERM runs the real binary under a fake service
// manager: READY=1 once serving, STOPPING=1 and exit status 0 on SIGTERM.
func TestDaemonSignalsAndSIGTERM(t *testing.T) {
	bin := buildBinary(t)
	farm := newFeedFarm(t)
	dir := t.TempDir()
	cfgPath := writeConfig(t, farm, dir)
	// A fixed free port, so the test knows where to look.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg, _ := os.ReadFile(cfgPath)
	cfg = bytes.Replace(cfg, []byte("listen: 127.0.0.1:0"), []byte("listen: "+addr), 1)
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}

	ns, sock := newNotifySocket(t)
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()

	waitFor(t, "READY=1", func() bool { return ns.saw("READY=1") })
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after READY: %v %v", resp, err)
	}
	resp.Body.Close()
	waitFor(t, "items to be published", func() bool {
		resp, err := http.Get("http://" + addr + "/feeds/all.atom")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return bytes.Contains(b.Bytes(), []byte("<entry"))
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("no exit within 40s of SIGTERM")
	}
	if !ns.saw("STOPPING=1") {
		t.Error("no STOPPING=1 sent")
	}
	if !strings.Contains(stderr.String(), `"message":"stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", stderr.String())
	}
}

func TestValidateCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), []string{"validate", "--config", filepath.Join("..", "..", "config.example.yaml")}, &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), ": ok (") {
		t.Fatalf("example: exit %d\n%s%s", code, out.String(), errOut.String())
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("database: x.db\nsources:\n  - name: a\n    url: nope\n    colour: red\nsections:\n  - id: misc\n    title: M\n    rules:\n      - regex: ['(']\n"), 0o644)
	out.Reset()
	errOut.Reset()
	code = Execute(context.Background(), []string{"validate", "--config", bad}, &out, &errOut)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	for _, want := range []string{"bad.yaml:5:", "colour", "bad.yaml:10:", "regex"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(bad), "x.db")); err == nil {
		t.Error("validate wrote a database")
	}
}

func TestFetchCommand(t *testing.T) {
	farm := newFeedFarm(t)
	dir := t.TempDir()
	cfgPath := writeConfig(t, farm, dir)
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), []string{"fetch", "--config", cfgPath, "--log-level", "error"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
	n := demoItemCount(t)
	line := out.String()
	for _, want := range []string{"fetched 9 sources", "5 ok", "4 failed", "items: " + strconv.Itoa(n) + " new", strconv.Itoa(n) + " classified"} {
		if !strings.Contains(line, want) {
			t.Errorf("summary %q lacks %q", line, want)
		}
	}
	// Again: everything is unchanged, nothing stored twice.
	out.Reset()
	Execute(context.Background(), []string{"fetch", "--config", cfgPath, "--log-level", "error"}, &out, &errOut)
	if !strings.Contains(out.String(), "5 not modified") || !strings.Contains(out.String(), "0 new") {
		t.Errorf("second fetch: %s", out.String())
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Execute(context.Background(), []string{"frobnicate"}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "unknown command") {
		t.Errorf("exit %d, %s", code, errOut.String())
	}
}
