#!/usr/bin/env node
import '../dist/cli/iso-merge.js';
