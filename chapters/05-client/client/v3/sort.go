package clientv3

type (
	SortTarget int
	SortOrder  int
)

const (
	SortNone SortOrder = iota
	SortAscend
	SortDescend
)

const (
	SortByKey SortTarget = iota
	SortByVersion
	SortByCreateRevision
	SortByModRevision
	SortByValue
)

// SortOption is what WithSort sets; the values are those of RangeRequest's enums.
type SortOption struct {
	Target SortTarget
	Order  SortOrder
}
