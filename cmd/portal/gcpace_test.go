package main

import (
	"runtime/debug"
	"testing"
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
