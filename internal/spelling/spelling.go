// Package spelling finds the name a person most likely meant, for the
// messages that answer a misspelt setting, theme key or variable.
package spelling

import "strings"

// Distance is the Levenshtein edit distance of a and b, counted in bytes
// (the names it compares are ASCII).
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Nearest is the name of names closest to got, letter case aside, with its
// distance; the first of equally close ones. It is "" and -1 when names is
// empty.
func Nearest(got string, names []string) (string, int) {
	best, bestD := "", -1
	for _, n := range names {
		if d := Distance(strings.ToLower(got), strings.ToLower(n)); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	return best, bestD
}
