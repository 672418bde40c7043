#!/usr/bin/env -S node --max-semi-space-size=2
// A 2 MiB young generation instead of 16 MiB: the tree grows by small objects, and this
// VM pays for every fresh page (peak RSS for 100k entries 148 -> 113 MB, no slower).
import '../dist/cli/cd-verify.js';
