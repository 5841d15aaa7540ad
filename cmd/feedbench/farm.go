package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// farmConfig describes the feeds a farm serves.
type farmConfig struct {
	Feeds   int           // number of feeds; even ones are RSS 2.0, odd ones Atom 1.0
	Items   int           // items per feed
	Hosts   int           // listeners (one port each), so per-host limits see distinct hosts
	Latency time.Duration // added before every response
	Start   time.Time     // reference for items' dates
}

// farm serves cfg.Feeds generated feeds on loopback. Every feed lists its
// newest cfg.Items items; SetExtra(e) makes e items per feed newer than the
// first round's, so a feed changes (new ETag, one or more new items at the
// head, as many dropped at the tail) exactly when e changes.
type farm interface {
	URL(i int) string
	SetExtra(extra int) error
	Stats() (farmStats, error)
	Close() error
}

// farmStats counts what a farm served.
type farmStats struct {
	Requests    int64
	NotModified int64
	Bytes       int64 // compressed bytes sent
	BodyBytes   int64 // uncompressed size of the current bodies, all feeds
	StoredBytes int64 // compressed size of the current bodies, all feeds
	PID         int   // the process serving, for its memory and CPU
}

// feedBody is one feed's current document.
type feedBody struct {
	gz   []byte
	etag string
}

// localFarm is a farm running in this process.
type localFarm struct {
	cfg    farmConfig
	paras  []string // even: English, odd: Chinese
	ports  []int
	lns    []net.Listener
	server *http.Server

	bodies atomic.Pointer[[]feedBody]
	plain  atomic.Int64 // uncompressed bytes of the current bodies
	stored atomic.Int64 // compressed bytes of the current bodies

	requests, notModified, sent atomic.Int64
}

// startLocalFarm generates the first round's feeds and starts serving them.
func startLocalFarm(cfg farmConfig) (*localFarm, error) {
	f := &localFarm{cfg: cfg, paras: paragraphs(256, 360, 42)}
	if err := f.SetExtra(0); err != nil {
		return nil, err
	}
	f.server = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	for range cfg.Hosts {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("farm listen: %w", err)
		}
		f.lns = append(f.lns, ln)
		f.ports = append(f.ports, ln.Addr().(*net.TCPAddr).Port)
		go func() { _ = f.server.Serve(ln) }()
	}
	return f, nil
}

func (f *localFarm) URL(i int) string { return farmURL(f.ports, i) }

func farmURL(ports []int, i int) string {
	ext := ".xml"
	if i%2 == 1 {
		ext = ".atom"
	}
	return "http://127.0.0.1:" + strconv.Itoa(ports[i%len(ports)]) + "/f/" + strconv.Itoa(i) + ext
}

func (f *localFarm) Close() error {
	if f.server != nil {
		return f.server.Close()
	}
	return nil
}

func (f *localFarm) Stats() (farmStats, error) {
	return farmStats{
		Requests: f.requests.Load(), NotModified: f.notModified.Load(), Bytes: f.sent.Load(),
		BodyBytes: f.plain.Load(), StoredBytes: f.stored.Load(), PID: os.Getpid(),
	}, nil
}

// SetExtra regenerates every feed with extra items beyond the first round's,
// on all cores, before returning: the farm's own work stays out of the
// timed polls.
func (f *localFarm) SetExtra(extra int) error {
	bodies := make([]feedBody, f.cfg.Feeds)
	var plain, stored atomic.Int64
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			var raw bytes.Buffer
			var gz bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
			for i := w; i < f.cfg.Feeds; i += workers {
				raw.Reset()
				f.render(&raw, i, extra)
				gz.Reset()
				zw.Reset(&gz)
				_, _ = zw.Write(raw.Bytes())
				_ = zw.Close()
				bodies[i] = feedBody{gz: bytes.Clone(gz.Bytes()), etag: `"f` + strconv.Itoa(i) + `-e` + strconv.Itoa(extra) + `"`}
				plain.Add(int64(raw.Len()))
				stored.Add(int64(gz.Len()))
			}
		})
	}
	wg.Wait()
	f.bodies.Store(&bodies)
	f.plain.Store(plain.Load())
	f.stored.Store(stored.Load())
	return nil
}

func (f *localFarm) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	if f.cfg.Latency > 0 {
		time.Sleep(f.cfg.Latency)
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/f/")
	if ok {
		name, _, ok = strings.Cut(name, ".")
	}
	i, err := strconv.Atoi(name)
	bodies := *f.bodies.Load()
	if !ok || err != nil || i < 0 || i >= len(bodies) {
		http.NotFound(w, r)
		return
	}
	b := bodies[i]
	h := w.Header()
	h["ETag"] = []string{b.etag}
	if r.Header.Get("If-None-Match") == b.etag {
		f.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if i%2 == 0 {
		h["Content-Type"] = []string{"application/rss+xml; charset=utf-8"}
	} else {
		h["Content-Type"] = []string{"application/atom+xml; charset=utf-8"}
	}
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		// Every client of the benchmark asks for gzip; others get it
		// decompressed on the fly.
		zr, err := gzip.NewReader(bytes.NewReader(b.gz))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		n, _ := io.Copy(w, zr)
		f.sent.Add(n)
		return
	}
	h["Content-Encoding"] = []string{"gzip"}
	h["Content-Length"] = []string{strconv.Itoa(len(b.gz))}
	n, _ := w.Write(b.gz)
	f.sent.Add(int64(n))
}

// item k of feed i: the newest cfg.Items of k in [extra, extra+Items) are
// listed, newest first; item k was published k minutes after a day before
// Start, so new items sort first.
func (f *localFarm) render(w *bytes.Buffer, i, extra int) {
	rss := i%2 == 0
	lang := "en"
	if i%4 >= 2 {
		lang = "zh-CN"
	}
	site := "https://bench.invalid/" + strconv.Itoa(i) + "/"
	base := f.cfg.Start.Add(-24 * time.Hour)
	newest := base.Add(time.Duration(extra+f.cfg.Items-1) * time.Minute)
	if rss {
		w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<rss version="2.0"><channel><title>Bench feed ` +
			strconv.Itoa(i) + `</title><link>` + site + `</link><description>Generated by feedbench</description><language>` +
			lang + `</language><lastBuildDate>` + newest.Format(time.RFC1123Z) + "</lastBuildDate>\n")
	} else {
		w.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="` +
			lang + `"><title>Bench feed ` + strconv.Itoa(i) + `</title><link href="` + site + `"/><id>urn:feedbench:` +
			strconv.Itoa(i) + `</id><updated>` + newest.Format(time.RFC3339) + "</updated>\n")
	}
	for k := extra + f.cfg.Items - 1; k >= extra; k-- {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%d", i, k)
		x := h.Sum64()
		en := f.paras[2*int(x%128)]
		zh := f.paras[2*int((x>>8)%128)+1]
		title := "Item " + strconv.Itoa(k) + " of feed " + strconv.Itoa(i) + ": " +
			titleWords[(x>>16)%uint64(len(titleWords))] + " " + titleWords[(x>>24)%uint64(len(titleWords))]
		link := site + "posts/" + strconv.Itoa(k)
		when := base.Add(time.Duration(k) * time.Minute)
		cat := titleWords[(x>>32)%uint64(len(titleWords))]
		body := html.EscapeString("<p>" + en + "</p><p>" + zh + "</p>")
		if rss {
			w.WriteString("<item><title>" + html.EscapeString(title) + "</title><link>" + link +
				`</link><guid isPermaLink="false">feedbench-` + strconv.Itoa(i) + "-" + strconv.Itoa(k) +
				"</guid><pubDate>" + when.Format(time.RFC1123Z) + "</pubDate><category>" + cat +
				"</category><description>" + body + "</description></item>\n")
		} else {
			summary, _, _ := strings.Cut(en, ". ")
			w.WriteString("<entry><title>" + html.EscapeString(title) + `</title><link href="` + link +
				`"/><id>urn:feedbench:` + strconv.Itoa(i) + ":" + strconv.Itoa(k) + "</id><published>" +
				when.Format(time.RFC3339) + "</published><updated>" + when.Format(time.RFC3339) +
				"</updated><author><name>Author " + strconv.Itoa(int(x%50)) + `</name></author><category term="` + cat +
				`"/><summary type="html">` + html.EscapeString(summary) + `</summary><content type="html">` + body +
				"</content></entry>\n")
		}
	}
	if rss {
		w.WriteString("</channel></rss>\n")
	} else {
		w.WriteString("</feed>\n")
	}
}

// The farm in a child process keeps its memory (the pre-compressed bodies)
// and its garbage out of the measured process. The parent drives it over
// the child's standard input and output, one line per command:
//
//	child:  ready PORT PORT ...
//	parent: extra N      child: ok
//	parent: stats        child: stats REQUESTS NOTMODIFIED BYTES BODYBYTES STOREDBYTES
//
// The child exits when its standard input closes.
const farmChildEnv = "FEEDBENCH_FARM"

// runFarmChild is main for the child process.
func runFarmChild(cfg farmConfig) error {
	f, err := startLocalFarm(cfg)
	if err != nil {
		return err
	}
	defer f.Close()
	out := bufio.NewWriter(os.Stdout)
	out.WriteString("ready")
	for _, p := range f.ports {
		out.WriteString(" " + strconv.Itoa(p))
	}
	out.WriteString("\n")
	out.Flush()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		switch cmd {
		case "extra":
			n, err := strconv.Atoi(arg)
			if err != nil {
				return err
			}
			if err := f.SetExtra(n); err != nil {
				return err
			}
			out.WriteString("ok\n")
		case "stats":
			s, _ := f.Stats()
			fmt.Fprintf(out, "stats %d %d %d %d %d\n", s.Requests, s.NotModified, s.Bytes, s.BodyBytes, s.StoredBytes)
		default:
			return fmt.Errorf("farm: unknown command %q", cmd)
		}
		out.Flush()
	}
	return in.Err()
}

// childFarm is a farm in a child process running this same program.
type childFarm struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	ports []int
	mu    sync.Mutex
}

func startChildFarm(cfg farmConfig) (*childFarm, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	// The daemon's memory settings are not the farm's: a GOMEMLIMIT meant
	// for the daemon would starve the farm, which holds every document.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMEMLIMIT=") && !strings.HasPrefix(kv, "GOGC=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, fmt.Sprintf("%s=%d,%d,%d,%d,%d", farmChildEnv,
		cfg.Feeds, cfg.Items, cfg.Hosts, cfg.Latency, cfg.Start.UnixNano()))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start farm: %w", err)
	}
	c := &childFarm{cmd: cmd, in: in, out: bufio.NewReader(outPipe)}
	line, err := c.out.ReadString('\n')
	fields := strings.Fields(line)
	if err != nil || len(fields) < 2 || fields[0] != "ready" {
		c.Close()
		return nil, fmt.Errorf("farm did not start: %q %v", line, err)
	}
	for _, p := range fields[1:] {
		n, _ := strconv.Atoi(p)
		c.ports = append(c.ports, n)
	}
	return c, nil
}

// parseFarmEnv reads the child's configuration from its environment.
func parseFarmEnv(v string) (farmConfig, error) {
	var n [5]int64
	parts := strings.Split(v, ",")
	if len(parts) != len(n) {
		return farmConfig{}, fmt.Errorf("bad %s=%q", farmChildEnv, v)
	}
	for i, p := range parts {
		var err error
		if n[i], err = strconv.ParseInt(p, 10, 64); err != nil {
			return farmConfig{}, fmt.Errorf("bad %s=%q", farmChildEnv, v)
		}
	}
	return farmConfig{Feeds: int(n[0]), Items: int(n[1]), Hosts: int(n[2]), Latency: time.Duration(n[3]), Start: time.Unix(0, n[4])}, nil
}

func (c *childFarm) URL(i int) string { return farmURL(c.ports, i) }

func (c *childFarm) call(cmd string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.in, cmd+"\n"); err != nil {
		return nil, fmt.Errorf("farm %s: %w", cmd, err)
	}
	line, err := c.out.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("farm %s: %w", cmd, err)
	}
	return strings.Fields(line), nil
}

func (c *childFarm) SetExtra(extra int) error {
	f, err := c.call("extra " + strconv.Itoa(extra))
	if err == nil && (len(f) != 1 || f[0] != "ok") {
		err = fmt.Errorf("farm extra: answered %q", f)
	}
	return err
}

func (c *childFarm) Stats() (farmStats, error) {
	f, err := c.call("stats")
	if err != nil {
		return farmStats{}, err
	}
	if len(f) != 6 || f[0] != "stats" {
		return farmStats{}, fmt.Errorf("farm stats: answered %q", f)
	}
	var n [5]int64
	for i := range n {
		n[i], _ = strconv.ParseInt(f[i+1], 10, 64)
	}
	return farmStats{Requests: n[0], NotModified: n[1], Bytes: n[2], BodyBytes: n[3], StoredBytes: n[4], PID: c.cmd.Process.Pid}, nil
}

func (c *childFarm) Close() error {
	_ = c.in.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil // killed or exited after stdin closed
		}
		return err
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
		return nil
	}
}
