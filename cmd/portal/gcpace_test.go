package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

const mib = 1 << 20

func TestPlanGCPacesForTheHashSlots(t *testing.T) {
	none := func(string) string { return "" }
	hash := int64(19 * mib)
	cases := []struct {
		name      string
		getenv    func(string) string
		slots     int
		cgroupMax int64
		want      gcPace
	}{
		{"two slots", none, 2, 0, gcPace{Percent: 200, Limit: 48*mib + 6*hash}},
		{"eight slots", none, 8, 0, gcPace{Percent: 200, Limit: 48*mib + 24*hash}},
		{"a container with room", none, 2, 1 << 30, gcPace{Percent: 200, Limit: 48*mib + 6*hash}},
		{"a small container", none, 2, 128 * mib, gcPace{Percent: 200, Limit: 128 * mib / 10 * 9}},
		{"GOGC chosen", func(k string) string { return map[string]string{"GOGC": "100"}[k] }, 2, 0, gcPace{}},
		{"GOMEMLIMIT chosen", func(k string) string { return map[string]string{"GOMEMLIMIT": "1GiB"}[k] }, 2, 0, gcPace{}},
	}
	for _, c := range cases {
		if got := planGC(c.getenv, c.slots, hash, c.cgroupMax); got != c.want {
			t.Errorf("%s: planGC = %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestParseCgroupMax(t *testing.T) {
	for in, want := range map[string]int64{
		"max\n":                 0, // version 2, no limit
		"9223372036854771712\n": 0, // version 1, no limit
		"268435456\n":           256 * mib,
		"":                      0,
		"garbage":               0,
	} {
		if got := parseCgroupMax(in); got != want {
			t.Errorf("parseCgroupMax(%q) = %d, want %d", in, got, want)
		}
	}
}

// gcSettings reads the collector's percent and memory limit without
// changing them.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

// restoreGC puts back the settings read before a test changed them.
func restoreGC(t *testing.T) {
	percent, limit := gcSettings()
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

func TestGCPaceApply(t *testing.T) {
	restoreGC(t)
	gcPace{Percent: 250, Limit: 300 * mib}.apply()
	if p, l := gcSettings(); p != 250 || l != 300*mib {
		t.Errorf("after apply: GOGC %d, limit %d; want 250, %d", p, l, 300*mib)
	}
	gcPace{}.apply() // leaves both as they are
	if p, l := gcSettings(); p != 250 || l != 300*mib {
		t.Errorf("the zero pace changed the settings: GOGC %d, limit %d", p, l)
	}
}

// After a minute with hashes, the first whole minute without one returns
// memory, once; a minute that was idle all along does not.
func TestIdleReturnAfterHashingStops(t *testing.T) {
	r := idleReturn{}
	for i, c := range []struct {
		hashes uint64
		want   bool
	}{
		{0, false},  // idle from the start
		{5, false},  // hashing
		{9, false},  // still hashing
		{9, true},   // a minute without a hash: return
		{9, false},  // returned already
		{10, false}, // one more hash
		{10, true},  // and a quiet minute after it
	} {
		if got := r.step(c.hashes); got != c.want {
			t.Errorf("tick %d (%d hashes so far): step = %v, want %v", i, c.hashes, got, c.want)
		}
	}
}

// The limit stays where planGC put it while the portal holds little besides
// its hashes, and rises with what it holds beyond them, within the container.
func TestLimitFollowsWhatThePortalHolds(t *testing.T) {
	hash := int64(19 * mib)
	f := limitFollower{planned: 48*mib + 6*hash, hashes: 2 * hash}
	small := limitFollower{planned: 200 * mib, hashes: 2 * hash, cgroupMax: 256 * mib}
	cases := []struct {
		name string
		f    limitFollower
		live int64
		want int64
	}{
		{"idle", f, 4 * mib, f.planned},
		{"two hashes in flight", f, 2*hash + 4*mib, f.planned},
		{"a base of 20 MiB is within the plan", f, 2*hash + 20*mib, f.planned},
		{"more than that raises it", f, 2*hash + 40*mib, 80*mib + 6*hash + 6*mib}, // 194 MiB rounded up to 200
		{"by 8 MiB steps", f, 2*hash + 41*mib, 200 * mib},
		{"the next step", f, 2*hash + 44*mib, 208 * mib},
		{"a live heap of hashes alone", f, 2 * hash, f.planned},
		{"within the container", small, 2*hash + 200*mib, 256 * mib / 10 * 9},
		{"a container smaller than the plan keeps planGC's nine tenths", limitFollower{planned: 128 * mib / 10 * 9,
			hashes: 2 * hash, cgroupMax: 128 * mib}, 2*hash + 200*mib, 128 * mib / 10 * 9},
	}
	for _, c := range cases {
		if got := c.f.limitFor(c.live); got != c.want {
			t.Errorf("%s: limitFor(%d MiB) = %d MiB, want %d MiB", c.name, c.live/mib, got/mib, c.want/mib)
		}
	}
}

// followLive moves the runtime's limit to what the portal holds, and back.
func TestFollowLiveSetsTheLimit(t *testing.T) {
	restoreGC(t)
	f := limitFollower{planned: 64 * mib}
	debug.SetMemoryLimit(f.planned)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() { followLive(ctx, tick, f); close(done) }()
	step := func() int64 {
		tick <- time.Now()
		tick <- time.Now() // taken only once the first tick was handled
		_, limit := gcSettings()
		return limit
	}

	held := make([]byte, 128*mib)
	for i := range held {
		held[i] = byte(i)
	}
	runtime.GC() // the live heap now counts held
	limit := step()
	want := f.limitFor(heldBytes())
	if limit < 256*mib || limit < want-8*mib || limit > want+8*mib {
		t.Errorf("limit %d MiB holding 128 MiB, want about %d MiB (at least twice what is held)", limit/mib, want/mib)
	}
	runtime.KeepAlive(held)

	held = nil
	runtime.GC()
	if limit := step(); limit != f.planned {
		t.Errorf("limit %d MiB once that was let go, want the planned %d MiB", limit/mib, f.planned/mib)
	}
	cancel()
	<-done
}

// heldBytes counts the live heap and what the runtime holds outside it.
func TestHeldBytesCountsStacks(t *testing.T) {
	runtime.GC()
	before := heldBytes()
	// 200 goroutines each with a grown stack (64 KiB at least).
	const n = 200
	var ready, release sync.WaitGroup
	ready.Add(n)
	release.Add(1)
	for range n {
		go func() {
			var grow func(int) int
			grow = func(d int) int {
				var pad [1024]byte
				if d == 0 {
					ready.Done()
					release.Wait()
					return int(pad[0])
				}
				return grow(d-1) + int(pad[d%len(pad)])
			}
			grow(64)
		}()
	}
	ready.Wait()
	runtime.GC()
	during := heldBytes()
	release.Done()
	if during-before < n*64<<10 {
		t.Errorf("held %d KiB before and %d KiB with %d goroutines on 64 KiB stacks; want the stacks counted",
			before>>10, during>>10, n)
	}
}
