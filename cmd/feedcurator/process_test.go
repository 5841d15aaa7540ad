package main

import (
	"bytes"
	"context"
	"encoding/json"
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

func (ns *notifySocket) count(s string) int {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	n := 0
	for _, m := range ns.msgs {
		if strings.Contains(m, s) {
			n++
		}
	}
	return n
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

func (ns *notifySocket) all() []string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return append([]string(nil), ns.msgs...)
}

// loggedAddr waits for the daemon's "serving feeds" log line and returns
// its address.
func loggedAddr(t *testing.T, logs *syncBuffer) string {
	t.Helper()
	var addr string
	waitFor(t, `a "serving feeds" line with an address in the log`, func() bool {
		for _, l := range strings.Split(logs.String(), "\n") {
			var line struct {
				Message string `json:"message"`
				Addr    string `json:"addr"`
			}
			if json.Unmarshal([]byte(l), &line) == nil && line.Message == "serving feeds" && line.Addr != "" {
				addr = line.Addr
				return true
			}
		}
		return false
	})
	return addr
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
	// The daemon listens on a port of its choosing (listen: 127.0.0.1:0)
	// and logs it: no port is picked and released for it to race for.
	cfgPath := writeConfig(t, farm, dir)

	ns, sock := newNotifySocket(t)
	logs := &syncBuffer{} // the daemon logs to stderr
	var stdout syncBuffer
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=400000")
	cmd.Stderr = logs
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s\nstdout:\n%s\nsent to the notify socket: %q", logs.String(), stdout.String(), ns.all())
		}
	})
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()

	waitFor(t, "READY=1", func() bool { return ns.saw("READY=1") })
	addr := loggedAddr(t, logs)
	waitFor(t, "WATCHDOG=1", func() bool { return ns.saw("WATCHDOG=1") })
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

	// Metrics are served in Prometheus' format; wait for the slow source to
	// have timed out, so that all four broken ones are in backoff.
	var mb bytes.Buffer
	waitFor(t, "four sources in backoff", func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		mb.Reset()
		_, _ = mb.ReadFrom(resp.Body)
		return bytes.Contains(mb.Bytes(), []byte("feedcurator_sources_backoff 4"))
	})
	for _, want := range []string{`feedcurator_fetches_total{result="ok"}`, `feedcurator_fetches_total{result="error_http_4xx"}`, "feedcurator_fetch_duration_seconds_bucket", `feedcurator_items{section="paas"}`, "feedcurator_sources_backoff 4", `feedcurator_http_requests_total{code="200",route="GET /healthz"}`, `feedcurator_publish_renders_total{format="atom",result="ok"}`} {
		if !bytes.Contains(mb.Bytes(), []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// SIGHUP with a broken file: logged, the running configuration stays.
	good, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, append(append([]byte(nil), good...), []byte("\nbogus_key: 1\n")...), 0o644)
	readies := ns.count("READY=1")
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "reload failure in the log", func() bool { return strings.Contains(logs.String(), "reload failed") })
	waitFor(t, "READY=1 after the failed reload", func() bool { return ns.count("READY=1") > readies })
	if !strings.Contains(logs.String(), "bogus_key") {
		t.Errorf("reload failure does not name the problem:\n%s", logs.String())
	}
	// SIGHUP with a good file that drops the broken sources.
	trimmed := string(good)
	for _, b := range []string{"gone", "html", "malformed", "slow"} {
		trimmed = strings.Replace(trimmed, "  - name: broken "+b+"\n    url: "+farm.URL+"/"+b+"\n", "", 1)
	}
	os.WriteFile(cfgPath, []byte(trimmed), 0o644)
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "configuration reloaded", func() bool { return strings.Contains(logs.String(), "configuration reloaded") })
	var rout, rerr bytes.Buffer
	if code := Execute(context.Background(), []string{"reload", "--config", cfgPath}, &rout, &rerr); code != 0 || !strings.Contains(rout.String(), "reloaded") {
		t.Errorf("feedcurator reload: exit %d, %s%s", code, rout.String(), rerr.String())
	}
	if !ns.saw("RELOADING=1") || !ns.saw("MONOTONIC_USEC=") {
		t.Error("no RELOADING=1 with MONOTONIC_USEC sent")
	}
	waitFor(t, "healthz to count 5 sources", func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return bytes.Contains(b.Bytes(), []byte(`"sources":5,`))
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("no exit within 40s of SIGTERM")
	}
	if !ns.saw("STOPPING=1") {
		t.Error("no STOPPING=1 sent")
	}
	if !strings.Contains(logs.String(), `"message":"stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", logs.String())
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

	// A database folder that does not exist is named with its line.
	noDir := filepath.Join(t.TempDir(), "nodir.yaml")
	example, _ := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	os.WriteFile(noDir, bytes.Replace(example, []byte("database: feedcurator.db"), []byte("database: /nonexistent/folder/x.db"), 1), 0o644)
	errOut.Reset()
	if code := Execute(context.Background(), []string{"validate", "--config", noDir}, &out, &errOut); code != exitUsage ||
		!strings.Contains(errOut.String(), "nodir.yaml:") || !strings.Contains(errOut.String(), "/nonexistent/folder") {
		t.Errorf("missing database folder: exit %d, %s", code, errOut.String())
	}
	// An unreadable file is named.
	errOut.Reset()
	if code := Execute(context.Background(), []string{"validate", "--config", filepath.Join(t.TempDir(), "missing.yaml")}, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "missing.yaml") {
		t.Errorf("missing file: exit %d, %s", code, errOut.String())
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

// TestSecondSignalExitsAtOnce: while the daemon waits for a client to
// finish before it stops, a second Ctrl-C ends it at once, with status 130;
// one signal delivered twice together (to the process and to its group) is
// still one.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	bin := buildBinary(t)
	cfgPath := writeConfig(t, newFeedFarm(t), t.TempDir())
	logs := &syncBuffer{}
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	})
	addr := loggedAddr(t, logs)

	// A client in the middle of its request keeps the server busy: a clean
	// shutdown waits for it (up to the header timeout).
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /feeds/all.atom HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the server read the first bytes

	// The same SIGINT twice at once: one request, a clean shutdown begins.
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Process.Signal(os.Interrupt)
	waitFor(t, "the shutdown to begin", func() bool { return strings.Contains(logs.String(), "shutting down") })
	time.Sleep(2 * repeatWindow)
	select {
	case err := <-done:
		t.Fatalf("the daemon exited (%v) before the second interrupt: it did not wait for the client", err)
	default:
	}
	_ = cmd.Process.Signal(os.Interrupt)
	err = <-done
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitSignal {
		t.Fatalf("after the second interrupt: %v, want exit status %d", err, exitSignal)
	}
	if !strings.Contains(logs.String(), "exiting at once") {
		t.Errorf("no word of the second interrupt on stderr")
	}
}
