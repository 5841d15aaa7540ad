//go:build !unix

package sqlite

// notWritable reports nothing where the access check is not available.
func notWritable(string) string { return "" }
