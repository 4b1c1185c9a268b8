package local

// SetLink replaces the function b makes hard links with, for tests.
func SetLink(b *Backend, link func(oldname, newname string) error) { b.link = link }
