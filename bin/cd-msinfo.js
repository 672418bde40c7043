#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --max-semi-space-size=2
// A 2 MiB young generation instead of 16 MiB: the tree grows by small objects, and this
// VM pays for every fresh page (peak RSS for 100k entries 148 -> 113 MB, no slower).
// Without NODE_EXTRA_CA_CERTS: the tools make no TLS connection, and Node would parse
// that bundle at every start (36 ms here), while a pipe's producer waits.
import '../dist/cli/cd-msinfo.js';
