package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// load describes one fixed-duration run: workers send reqs round-robin, each
// over its own keep-alive connection, and a response counts when ok says so.
type load struct {
	reqs     []*http.Request
	workers  int
	warmup   time.Duration
	duration time.Duration
	ok       func(*http.Response) bool
}

// loadResult is what one run measured inside the timed window.
type loadResult struct {
	ok, bad, errs int64
	statuses      map[int]int64
	window        time.Duration
	bestSecond    int64 // most successes in one whole second of the window
	p50, p99      time.Duration
	cpu           cpuUse
}

func (r loadResult) rate() float64 { return float64(r.ok) / r.window.Seconds() }

// String is the one-line summary printed under each benchmark.
func (r loadResult) String() string {
	return fmt.Sprintf("%d ok, %d unexpected, %d errors in %.2fs, best second %d; latency p50 %v p99 %v; statuses %v; %s",
		r.ok, r.bad, r.errs, r.window.Seconds(), r.bestSecond, r.p50.Round(10*time.Microsecond),
		r.p99.Round(10*time.Microsecond), r.statuses, r.cpu)
}

// generator runs loads against one server. The raw mode writes each request's
// wire bytes, prepared once, on a plain TCP connection and parses the answer
// with http.ReadResponse: on a 2-core machine shared with the server, the
// generator's own CPU is what limits the figures, and this costs a fraction of
// http.Client's per-request goroutine hand-offs. The nethttp mode uses a tuned
// http.Transport for comparison.
type generator struct {
	srv *server
	raw bool
}

func (g *generator) run(ctx context.Context, l load) (loadResult, error) {
	wires := make([][]byte, len(l.reqs))
	for i, r := range l.reqs {
		var b bytes.Buffer
		if err := r.Write(&b); err != nil {
			return loadResult{}, err
		}
		wires[i] = b.Bytes()
	}
	client := g.client(l.workers)
	defer client.CloseIdleConnections()
	doers := make([]func(int) (*http.Response, error), l.workers)
	for w := range doers {
		if g.raw {
			doers[w] = g.rawDoer(wires)
		} else {
			doers[w] = httpDoer(ctx, client, l.reqs)
		}
	}
	defer func() {
		for _, do := range doers {
			do(-1)
		}
	}()
	var next atomic.Uint64
	op := func(w int) (int, bool, error) {
		resp, err := doers[w](int(next.Add(1)-1) % len(l.reqs))
		if err != nil {
			return 0, false, err
		}
		return resp.StatusCode, l.ok(resp), nil
	}
	return timed(ctx, g.srv, l.workers, l.warmup, l.duration, op), nil
}

// timed runs op in a loop on each of workers goroutines for warmup, then
// counts what completes during the next duration. op reports the status it
// got and whether that is the expected outcome.
func timed(ctx context.Context, srv *server, workers int, warmup, duration time.Duration,
	op func(w int) (status int, ok bool, err error)) loadResult {
	type workerStats struct {
		ok, bad, errs int64
		statuses      map[int]int64
		lat           []time.Duration
		perSecond     []int64 // successes in each whole second of the window
	}
	var (
		measuring atomic.Bool
		startNano atomic.Int64
		wg        sync.WaitGroup
		stats     = make([]workerStats, workers)
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := range workers {
		stats[w].statuses = map[int]int64{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &stats[w]
			for ctx.Err() == nil {
				t0 := time.Now()
				status, ok, err := op(w)
				if !measuring.Load() {
					continue
				}
				switch {
				case err != nil:
					if ctx.Err() == nil {
						st.errs++
					}
				case ok:
					if sec := int(time.Duration(time.Now().UnixNano()-startNano.Load()) / time.Second); sec >= 0 {
						for len(st.perSecond) <= sec {
							st.perSecond = append(st.perSecond, 0)
						}
						st.perSecond[sec]++
					}
					st.ok++
					st.statuses[status]++
					st.lat = append(st.lat, time.Since(t0))
				default:
					st.bad++
					st.statuses[status]++
				}
			}
		}()
	}
	select {
	case <-time.After(warmup):
	case <-ctx.Done():
	}
	before := sampleCPU(srv)
	start := time.Now()
	startNano.Store(start.UnixNano())
	measuring.Store(true)
	select {
	case <-time.After(duration):
	case <-ctx.Done():
	}
	measuring.Store(false)
	window := time.Since(start)
	after := sampleCPU(srv)
	cancel()
	wg.Wait()

	res := loadResult{statuses: map[int]int64{}, window: window, cpu: after.since(before, window)}
	var lat []time.Duration
	perSecond := make([]int64, int(window/time.Second)) // whole seconds only
	for _, st := range stats {
		for i, n := range st.perSecond {
			if i < len(perSecond) {
				perSecond[i] += n
			}
		}
		res.ok += st.ok
		res.bad += st.bad
		res.errs += st.errs
		for k, v := range st.statuses {
			res.statuses[k] += v
		}
		lat = append(lat, st.lat...)
	}
	res.p50, res.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	for _, n := range perSecond {
		res.bestSecond = max(res.bestSecond, n)
	}
	return res
}

// rawDoer returns a function sending wires[i] on one keep-alive connection,
// redialling when the server closes it. do(-1) closes the connection.
func (g *generator) rawDoer(wires [][]byte) func(int) (*http.Response, error) {
	var (
		conn net.Conn
		br   *bufio.Reader
	)
	return func(i int) (*http.Response, error) {
		if i < 0 {
			if conn != nil {
				conn.Close()
			}
			return nil, nil
		}
		if conn == nil {
			c, err := net.Dial("tcp", g.srv.url[len("http://"):])
			if err != nil {
				return nil, err
			}
			conn, br = c, bufio.NewReaderSize(c, 32<<10)
		}
		fail := func(err error) (*http.Response, error) {
			conn.Close()
			conn = nil
			return nil, err
		}
		if _, err := conn.Write(wires[i]); err != nil {
			return fail(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return fail(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return fail(err)
		}
		if resp.Close {
			conn.Close()
			conn = nil
		}
		return resp, nil
	}
}

func httpDoer(ctx context.Context, c *http.Client, reqs []*http.Request) func(int) (*http.Response, error) {
	return func(i int) (*http.Response, error) {
		if i < 0 {
			return nil, nil
		}
		resp, err := c.Do(reqs[i].Clone(ctx))
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp, err
	}
}

// client is an http.Client that keeps one idle connection per worker and
// never follows redirects: the benchmarks check the redirect itself.
func (g *generator) client(workers int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: workers * 2, MaxIdleConnsPerHost: workers * 2, IdleConnTimeout: time.Minute,
			DisableCompression: true, ForceAttemptHTTP2: false,
			DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[int(q*float64(len(d)-1))]
}
