package v3rpc

// interval is a key interval [begin, end) as etcd's duplicate-key check sees it (pkg/adt's
// string-affine intervals): an empty end is +infinity. checkIntervals gives a from-key delete the
// end +infinity.
type interval struct{ begin, end string }

func point(k string) interval { return interval{k, k + "\x00"} }

// endLess compares two interval ends, where "" is +infinity.
func endLess(a, b string) bool {
	switch {
	case a == "":
		return false
	case b == "":
		return true
	}
	return a < b
}

func (iv interval) overlaps(o interval) bool {
	return endLess(iv.begin, o.end) && endLess(o.begin, iv.end)
}

type intervals []interval

func (ivs intervals) intersects(o interval) bool {
	for _, iv := range ivs {
		if iv.overlaps(o) {
			return true
		}
	}
	return false
}
