package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sort"
	"sync"
	"time"
)

// handshake refreshes tokens for distinct signed-in sessions: each request
// carries one seeded browser's __client cookie, round-robin, and must get a
// 307 back to the app with a fresh __session token (one RS256 signature).
func (b *bench) handshake(ctx context.Context) error {
	b.section(fmt.Sprintf("handshake refresh: GET /v1/client/handshake, %d distinct sessions round-robin, %d connections",
		b.opt.sessions, b.opt.workers))
	sign, err := rs256Op()
	if err != nil {
		return err
	}
	bnd, err := b.bound(sign, runtime.NumCPU(), 2*time.Second, 20)
	if err != nil {
		return err
	}
	bound := bnd.rate()
	fmt.Fprintf(b.out, "RS256 (2048-bit SignPKCS1v15 over SHA-256): %s\n", bnd)
	path := "/v1/client/handshake?redirect_url=" + url.QueryEscape(appRedirect)
	var reqs []*http.Request
	for _, u := range b.users[:b.opt.sessions] {
		req, _ := http.NewRequest(http.MethodGet, b.srv.url+path, nil)
		req.Host = b.srv.host
		req.Header.Set("Cookie", clientCookie+"="+u.b.cookies[clientCookie])
		req.Header.Set("X-Forwarded-For", u.b.ip)
		reqs = append(reqs, req)
	}
	res, err := b.leastDisturbed(func() (loadResult, error) {
		return b.gen().run(ctx, load{reqs: reqs, workers: b.opt.workers, warmup: b.opt.warmup,
			duration: b.opt.duration, ok: freshToken})
	})
	if err != nil {
		return err
	}
	ratio := res.rate() / bound
	fmt.Fprintf(b.out, "%.0f refreshes/s = %.0f%% of the bound, %.0f%% of what parallel signing alone reaches  (%s)\n%s\n\n",
		res.rate(), 100*ratio, 100*res.rate()/bnd.parallel, res, dedicated(res))
	b.add(result{metric: "handshake refresh (distinct sessions)",
		measured: fmt.Sprintf("%.0f/s (%.0f%%)", res.rate(), 100*ratio),
		target:   ">= 70% of bound", bound: fmt.Sprintf("%.0f/s RS256%s", bound, serverOnly(res, bnd)),
		pass: verdict(ratio >= 0.70 && res.errs == 0), others: max(res.cpu.others, bnd.others),
		boundNoisy: bnd.others >= noisy, ceiling: bnd.parallel / bound, need: 0.70})
	pr, err := b.paired(sign, runtime.NumCPU(), 20, func() (loadResult, error) {
		return b.gen().run(ctx, load{reqs: reqs, workers: b.opt.workers, warmup: 300 * time.Millisecond,
			duration: 2 * time.Second, ok: freshToken})
	})
	if err != nil {
		return err
	}
	if len(pr.singles) > 0 {
		fmt.Fprintf(b.out, "paired: %s\n\n", pr)
		b.add(pr.result("handshake refresh, paired rounds"))
	}
	return nil
}

// serverOnly is the share of the bound the server would reach with every
// core to itself, from the CPU it spent per operation: the bound's time per
// operation over the server's. It discounts the generator and other load,
// though not their effect on caches.
func serverOnly(res loadResult, bnd bound) string {
	perOp := res.serverCPUPerOp()
	if perOp == 0 {
		return ""
	}
	return fmt.Sprintf("; server-only ~%.0f%%", 100*bnd.single.Seconds()/perOp)
}

// freshToken accepts a handshake answer that hands the app a new token.
func freshToken(r *http.Response) bool {
	if r.StatusCode != http.StatusTemporaryRedirect {
		return false
	}
	for _, c := range r.Cookies() {
		if c.Name == sessionCookie && c.Value != "" && c.MaxAge >= 0 {
			return true
		}
	}
	return false
}

// password measures complete password sign-ins per second: each one is a new
// browser from a new address posting the identifier (POST /sign-in) and then
// the password (POST /sign-in/factor-one), ending with a session token. Each
// costs exactly one argon2id verification.
func (b *bench) password(ctx context.Context) error {
	workers := 2 * runtime.NumCPU()
	dur := b.opt.duration * 8 / 5
	b.section(fmt.Sprintf("password sign-in: POST /sign-in + POST /sign-in/factor-one per sign-in, %d concurrent, %v timed", workers, dur))
	slots := runtime.NumCPU() // PORTAL_HASH_CONCURRENCY unset: one slot per CPU
	par := min(runtime.NumCPU(), slots)
	hash, err := argon2Op(par)
	if err != nil {
		return err
	}
	bnd, err := b.bound(hash, par, 3*time.Second, 6)
	if err != nil {
		return err
	}
	bound := bnd.rate()
	fmt.Fprintf(b.out, "argon2id (m=19456 KiB t=2 p=1 via internal/password; min(%d cores, %d hash slots)): %s\n",
		runtime.NumCPU(), slots, bnd)
	var next int
	var mu sync.Mutex
	op := func(int) (int, bool, error) {
		mu.Lock()
		u := b.users[next%len(b.users)]
		next++
		mu.Unlock()
		br := newBrowser(b.srv, b.hc, b.ips.next())
		flowID, err := br.startSignIn(ctx, u.email)
		if err != nil {
			return 0, false, err
		}
		status, _, _, err := br.do(br.passwordAttempt(ctx, flowID, u.password))
		if err != nil {
			return 0, false, err
		}
		return status, signInOK(status, br), nil
	}
	res, _ := b.leastDisturbed(func() (loadResult, error) {
		return timed(ctx, b.srv, workers, b.opt.warmup, dur, op), nil
	})
	ratio := res.rate() / bound
	fmt.Fprintf(b.out, "%.1f sign-ins/s = %.0f%% of the bound, %.0f%% of what parallel hashing alone reaches  (%s)\n%s\n",
		res.rate(), 100*ratio, 100*res.rate()/bnd.parallel, res, dedicated(res))
	if hwm, err := b.srv.memKB("VmHWM"); err == nil {
		fmt.Fprintf(b.out, "server VmHWM so far %s\n", mb(hwm))
	}
	b.add(result{metric: "password sign-in", measured: fmt.Sprintf("%.1f/s (%.0f%%)", res.rate(), 100*ratio),
		target: ">= 80% of bound", bound: fmt.Sprintf("%.1f/s argon2id%s", bound, serverOnly(res, bnd)),
		pass: verdict(ratio >= 0.80 && res.errs == 0), others: max(res.cpu.others, bnd.others),
		boundNoisy: bnd.others >= noisy, ceiling: bnd.parallel / bound, need: 0.80})
	pr, err := b.paired(hash, par, 6, func() (loadResult, error) {
		return timed(ctx, b.srv, workers, 300*time.Millisecond, 2*time.Second, op), nil
	})
	if err != nil {
		return err
	}
	if len(pr.singles) > 0 {
		fmt.Fprintf(b.out, "paired: %s\n\n", pr)
		b.add(pr.result("password sign-in, paired rounds"))
	}
	return nil
}

// burstSignIn releases n password attempts at once, each on its own open
// connection with a flow prepared beforehand, against a freshly restarted
// server so its VmHWM reflects the burst. Success and the hasher's "try again"
// 503 are both acceptable answers; a 500, a dropped connection or a crash is
// not.
func (b *bench) burstSignIn(ctx context.Context) error {
	n := b.opt.burst
	b.section(fmt.Sprintf("burst: %d password sign-in attempts released at once; peak RSS from VmHWM", n))
	type attempt struct {
		br   *browser
		wire []byte
	}
	atts := make([]attempt, n)
	errc := make(chan error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range atts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			u := b.users[i%len(b.users)]
			br := newBrowser(b.srv, b.hc, b.ips.next())
			flowID, err := br.startSignIn(ctx, u.email)
			if err != nil {
				errc <- err
				return
			}
			var w bytes.Buffer
			if err := br.passwordAttempt(ctx, flowID, u.password).Write(&w); err != nil {
				errc <- err
				return
			}
			atts[i] = attempt{br: br, wire: w.Bytes()}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return fmt.Errorf("preparing flows: %w", err)
	}

	// Restart: flows and client cookies live in the database and survive it.
	b.hc.CloseIdleConnections()
	b.srv.stop()
	srv, _, err := startServer(ctx, b.opt.binary, b.dir, b.port)
	if err != nil {
		return err
	}
	b.srv = srv
	base, err := srv.memKB("VmHWM")
	if err != nil {
		return err
	}
	conns := make([]net.Conn, n)
	for i := range conns {
		if conns[i], err = net.Dial("tcp", srv.url[len("http://"):]); err != nil {
			return fmt.Errorf("opening connection %d of %d: %w", i+1, n, err)
		}
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()

	type outcome struct {
		status  int
		session bool
		err     error
		took    time.Duration
	}
	outs := make([]outcome, n)
	release := make(chan struct{})
	for i := range atts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release
			t0 := time.Now()
			c := conns[i]
			_ = c.SetDeadline(time.Now().Add(60 * time.Second))
			if _, err := c.Write(atts[i].wire); err != nil {
				outs[i].err = err
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				outs[i].err = err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			outs[i] = outcome{status: resp.StatusCode, session: freshSession(resp), took: time.Since(t0)}
		}()
	}
	stopSampling := make(chan struct{})
	peakRSS := make(chan int64)
	go func() {
		var peak int64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := srv.memKB("VmRSS"); err == nil && v > peak {
				peak = v
			}
			select {
			case <-t.C:
			case <-stopSampling:
				peakRSS <- peak
				return
			}
		}
	}()
	cpu0 := sampleCPU(srv)
	start := time.Now()
	close(release)
	wg.Wait()
	elapsed := time.Since(start)
	use := sampleCPU(srv).since(cpu0, elapsed)
	close(stopSampling)
	sampled := <-peakRSS
	hwm, err := srv.memKB("VmHWM")
	if err != nil {
		return fmt.Errorf("reading VmHWM (did the portal die?): %w; log: %s", err, srv.logTail())
	}

	var ok, busy, other int
	statuses := map[int]int{}
	var errs []string
	var took []time.Duration
	for _, o := range outs {
		switch {
		case o.err != nil:
			errs = append(errs, o.err.Error())
		case o.status == http.StatusSeeOther && o.session:
			ok++
			took = append(took, o.took)
		case o.status == http.StatusServiceUnavailable:
			busy++
		default:
			other++
		}
		if o.err == nil {
			statuses[o.status]++
		}
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	fmt.Fprintf(b.out, "all %d answered in %v: %d signed in, %d told to try again (503), %d other, %d transport errors; statuses %v\n",
		n, elapsed.Round(time.Millisecond), ok, busy, other, len(errs), statuses)
	fmt.Fprintln(b.out, use)
	if len(took) > 0 {
		fmt.Fprintf(b.out, "successful sign-ins took %v to %v\n", took[0].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	}
	if len(errs) > 0 {
		fmt.Fprintf(b.out, "first transport error: %s\n", errs[0])
	}
	fmt.Fprintf(b.out, "server VmHWM %s (was %s after restart); highest VmRSS sampled every 5 ms: %s; alive afterwards: %v\n",
		mb(hwm), mb(base), mb(sampled), srv.alive())
	b.add(result{metric: fmt.Sprintf("peak RSS, %d sign-ins at once", n), measured: mb(hwm), target: "<= 250 MB",
		pass: verdict(hwm <= kbOfMB(250)), others: use.others})
	// Not a target, but what an operator sees: Go returns freed heap to the
	// OS only gradually, so RSS after sign-in load stays well above the
	// fresh-process idle figure for a while.
	time.Sleep(10 * time.Second)
	if rss, err := srv.memKB("VmRSS"); err == nil {
		fmt.Fprintf(b.out, "VmRSS 10 s after the burst: %s\n\n", mb(rss))
		b.add(result{metric: "RSS 10 s after the burst", measured: mb(rss), bound: "idle, after load"})
	}
	b.add(result{metric: fmt.Sprintf("%d at once: answers", n), measured: fmt.Sprintf("%d ok, %d busy, %d other, %d dropped", ok, busy, other, len(errs)),
		target: "only 303 or 503, alive", pass: verdict(other == 0 && len(errs) == 0 && srv.alive()), others: use.others})
	return nil
}

func freshSession(r *http.Response) bool {
	for _, c := range r.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return true
		}
	}
	return false
}
