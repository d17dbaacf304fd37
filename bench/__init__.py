"""``make bench``: side-by-side benchmarks of the fakes against bare floors (not a test)."""
