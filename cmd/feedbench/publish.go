package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// publishConns is how many connections the in-process client keeps busy,
// as wrk's -c64.
const publishConns = 64

func (b *bench) publish(ctx context.Context) error {
	url := "http://" + b.addr + "/feeds/all.atom"
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: publishConns,
		MaxConnsPerHost:     publishConns,
		DisableCompression:  true,
	}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()

	// The first request renders the feed; later ones are served from the
	// publisher's cache for as long as the store's version stands.
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("publish: GET %s: %s", url, resp.Status)
	}
	etag := resp.Header.Get("ETag")
	b.printf("\npublish %s: first request (render) %s, %d entries, %.1f KB\n",
		url, time.Since(start).Round(time.Microsecond), strings.Count(string(body), "<entry"), float64(len(body))/1024)

	variants := []publishVariant{
		{name: "full", want: http.StatusOK},
		{name: "full, gzip", header: [2]string{"Accept-Encoding", "gzip"}, want: http.StatusOK},
		{name: "If-None-Match (304)", header: [2]string{"If-None-Match", etag}, want: http.StatusNotModified},
	}
	for _, v := range variants {
		rate, codes, err := loadLoop(ctx, client, url, v.header, b.opts.PublishFor)
		if err != nil {
			return err
		}
		b.printf("  in-process client, %d conns, %s: %-20s %8.0f req/s  %v\n", publishConns, b.opts.PublishFor, v.name, rate, codes)
		for code := range codes {
			if code != v.want {
				b.failed = true
			}
		}
	}

	if !b.opts.Wrk {
		return nil
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.printf("  wrk: not installed (apt-get install -y wrk), skipped\n")
		return nil
	}
	for _, v := range variants {
		args := []string{"-t2", "-c64", "-d" + strconv.Itoa(int(b.opts.WrkDuration.Seconds())) + "s"}
		if v.header[0] != "" {
			args = append(args, "-H", v.header[0]+": "+v.header[1])
		}
		args = append(args, url)
		r, err := runWrk(ctx, wrk, args, b.opts.WrkDuration)
		if err != nil {
			return err
		}
		b.printf("  wrk %-45s %-20s %8.0f req/s  %s/s, latency avg %s, errors %d, non-2xx/3xx %d\n",
			strings.Join(args[:len(args)-1], " "), v.name, r.rate, r.transfer, r.latency, r.errors, r.non2xx)
		switch v.name {
		case "full":
			b.wrkFull = r.rate
		case "full, gzip":
			b.wrkGzip = r.rate
		}
		if r.non2xx > 0 || r.errors > 0 {
			b.failed = true
		}
	}
	return nil
}

// publishVariant is one kind of request for the feed.
type publishVariant struct {
	name   string
	header [2]string // one request header, if any
	want   int       // the status every response must have
}

// loadLoop requests url, with header if set, from publishConns goroutines
// for d and returns the rate and the count of each status.
func loadLoop(ctx context.Context, client *http.Client, url string, header [2]string, d time.Duration) (float64, map[int]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu       sync.Mutex
		codes    = map[int]int64{}
		firstErr error
		total    atomic.Int64
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range publishConns {
		wg.Go(func() {
			local := map[int]int64{}
			defer func() {
				mu.Lock()
				for k, v := range local {
					codes[k] += v
				}
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if header[0] != "" {
					req.Header.Set(header[0], header[1])
				}
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						firstErr = cmpErr(firstErr, err)
						mu.Unlock()
					}
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						firstErr = cmpErr(firstErr, err)
						mu.Unlock()
					}
					return
				}
				local[resp.StatusCode]++
				total.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return 0, nil, fmt.Errorf("publish load: %w", firstErr)
	}
	return float64(total.Load()) / elapsed.Seconds(), codes, nil
}

func cmpErr(old, err error) error {
	if old != nil {
		return old
	}
	return err
}

// wrkResult is what runWrk reads from wrk's report.
type wrkResult struct {
	rate           float64
	transfer       string
	latency        string
	errors, non2xx int64
}

var (
	wrkRate     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkTransfer = regexp.MustCompile(`Transfer/sec:\s+(\S+)`)
	wrkLatency  = regexp.MustCompile(`Latency\s+(\S+)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	wrkErrors   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func runWrk(ctx context.Context, wrk string, args []string, d time.Duration) (wrkResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wrk, args...).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	var r wrkResult
	m := wrkRate.FindSubmatch(out)
	if m == nil {
		return r, errors.New("wrk: no Requests/sec in its report: " + string(out))
	}
	r.rate, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := wrkTransfer.FindSubmatch(out); m != nil {
		r.transfer = string(m[1])
	}
	if m := wrkLatency.FindSubmatch(out); m != nil {
		r.latency = string(m[1])
	}
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		r.non2xx, _ = strconv.ParseInt(string(m[1]), 10, 64)
	}
	if m := wrkErrors.FindSubmatch(out); m != nil {
		for _, g := range m[1:] {
			n, _ := strconv.ParseInt(string(g), 10, 64)
			r.errors += n
		}
	}
	return r, nil
}
