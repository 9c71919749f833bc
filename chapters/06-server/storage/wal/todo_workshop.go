//go:build workshop_06 || workshop_walrecord || workshop_walrepair

package wal

import "fmt"

// todo is what an exercise answers until it is written: an error, not a panic, so that the rest
// of the package keeps working and only the exercise's tests fail.
func todo(what string) error {
	return fmt.Errorf("workshop: %s is not written yet", what)
}
